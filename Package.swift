// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-authip",
    products: [
        .library(name: "AuthIPWire", targets: ["AuthIPWire"]),
        .library(name: "AuthIPCrypto", targets: ["AuthIPCrypto"]),
        .library(name: "AuthIPJSON", targets: ["AuthIPJSON"]),
        .library(name: "AuthIPAudit", targets: ["AuthIPAudit"]),
        .library(name: "AuthIPTrust", targets: ["AuthIPTrust"]),
        .library(name: "AuthIPErrors", targets: ["AuthIPErrors"]),
        .library(name: "AuthIPGSS", targets: ["AuthIPGSS"]),
        .library(name: "AuthIPSADatabase", targets: ["AuthIPSADatabase"]),
        .library(name: "AuthIP", targets: ["AuthIP"]),
        .library(name: "AuthIPSimulation", targets: ["AuthIPSimulation"]),
        .library(name: "AuthIPNIO", targets: ["AuthIPNIO"]),
        .library(name: "AuthIPDirectory", targets: ["AuthIPDirectory"]),
        .library(name: "AuthIPScenarios", targets: ["AuthIPScenarios"]),
        .executable(name: "authip", targets: ["authip"]),
        .executable(name: "authip-bench", targets: ["authip-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CGSSAPI",
            pkgConfig: "krb5-gssapi",
            providers: [.apt(["libkrb5-dev"])]
        ),
        .systemLibrary(
            name: "CLDAP",
            pkgConfig: "ldap",
            providers: [.apt(["libldap-dev"])]
        ),
        .systemLibrary(
            name: "CWBClient",
            pkgConfig: "wbclient",
            providers: [.apt(["libwbclient-dev"])]
        ),
        .target(name: "AuthIPJSON"),
        .target(name: "AuthIPWire", dependencies: ["AuthIPJSON"]),
        .target(name: "AuthIPCrypto", dependencies: ["COpenSSL", "AuthIPWire"]),
        .target(name: "AuthIPAudit", dependencies: ["AuthIPJSON", "AuthIPErrors"]),
        .target(name: "AuthIPErrors"),
        .target(name: "AuthIPTrust", dependencies: ["COpenSSL", "AuthIPCrypto", "AuthIPErrors", "AuthIPJSON", "AuthIPWire"]),
        .target(name: "AuthIPGSS", dependencies: ["COpenSSL", "CGSSAPI", "AuthIPCrypto", "AuthIPErrors", "AuthIPJSON", "AuthIPTrust", "AuthIPWire"]),
        .target(name: "AuthIPSADatabase", dependencies: ["AuthIPCrypto", "AuthIPWire"]),
        .target(name: "AuthIPDirectory", dependencies: ["CLDAP", "CWBClient", "AuthIPCrypto", "AuthIPErrors", "AuthIPGSS"]),
        .target(name: "AuthIP", dependencies: ["AuthIPAudit", "AuthIPCrypto", "AuthIPErrors", "AuthIPGSS", "AuthIPSADatabase", "AuthIPTrust", "AuthIPWire"]),
        .target(name: "AuthIPSimulation", dependencies: ["AuthIP", "AuthIPAudit", "AuthIPCrypto", "AuthIPGSS", "AuthIPSADatabase", "AuthIPWire"]),
        .target(name: "AuthIPScenarios", dependencies: [
            "AuthIP", "AuthIPAudit", "AuthIPCrypto", "AuthIPErrors", "AuthIPGSS", "AuthIPJSON", "AuthIPSADatabase", "AuthIPSimulation",
            "AuthIPTrust", "AuthIPWire",
        ]),
        .target(name: "AuthIPNIO", dependencies: [
            "AuthIP", "AuthIPAudit", "AuthIPDirectory", "AuthIPCrypto", "AuthIPGSS", "AuthIPJSON", "AuthIPSADatabase", "AuthIPTrust", "AuthIPWire",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(
            name: "authip",
            dependencies: [
                "AuthIPWire", "AuthIPCrypto", "AuthIPJSON", "AuthIPTrust", "AuthIPNIO", "AuthIPScenarios", "AuthIP", "AuthIPAudit",
                "AuthIPSADatabase", "AuthIPSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "authip-bench", dependencies: ["AuthIP", "AuthIPScenarios", "AuthIPSADatabase", "AuthIPWire", "AuthIPCrypto", "AuthIPJSON", "AuthIPTrust", "AuthIPGSS", "COpenSSL"]),
        .executableTarget(name: "authip-fuzz-wire", dependencies: ["AuthIPWire", "AuthIPJSON"]),
        .executableTarget(name: "authip-fuzz-endpoint", dependencies: ["AuthIP", "AuthIPCrypto", "AuthIPGSS", "AuthIPSADatabase", "AuthIPWire"]),
        .executableTarget(name: "authip-audit-writer", dependencies: ["AuthIPAudit"]),
        .target(name: "AuthIPTestSupport", dependencies: ["AuthIPJSON", "AuthIPWire"], path: "Tests/AuthIPTestSupport"),
        .testTarget(name: "AuthIPWireTests", dependencies: ["AuthIPWire", "AuthIPJSON", "AuthIPTestSupport"]),
        .testTarget(name: "AuthIPCommandTests", dependencies: ["authip", "AuthIPJSON", "AuthIPWire", "AuthIPTestSupport"]),
        .testTarget(name: "AuthIPAuditTests", dependencies: ["AuthIPAudit", "AuthIPJSON", "AuthIPTestSupport", "authip-audit-writer"]),
        .testTarget(name: "AuthIPTrustTests", dependencies: ["AuthIPTrust", "AuthIPCrypto", "AuthIPErrors", "AuthIPJSON", "AuthIPTestSupport"]),
        .testTarget(name: "AuthIPGSSTests", dependencies: ["AuthIPScenarios", "AuthIPGSS", "AuthIPCrypto", "AuthIPErrors", "AuthIPJSON", "AuthIPTrust", "AuthIPWire", "AuthIPTestSupport"]),
        .testTarget(name: "AuthIPSADatabaseTests", dependencies: ["AuthIPSADatabase", "AuthIPCrypto", "AuthIPWire"]),
        .testTarget(name: "AuthIPEngineTests", dependencies: ["AuthIPScenarios", "AuthIP", "AuthIPDirectory", "AuthIPSimulation", "AuthIPAudit", "AuthIPCrypto", "AuthIPErrors", "AuthIPGSS", "AuthIPSADatabase", "AuthIPTrust", "AuthIPWire", "AuthIPTestSupport"]),
        .testTarget(name: "AuthIPNIOTests", dependencies: ["AuthIPNIO", "AuthIP", "AuthIPCrypto", "AuthIPAudit", "AuthIPWire", "AuthIPTestSupport", "authip"]),
        .testTarget(name: "AuthIPCryptoTests", dependencies: ["AuthIPCrypto", "AuthIPWire", "AuthIPJSON", "AuthIPTestSupport"]),
    ]
)
