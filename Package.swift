// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// The sanitizer runs (scripts/sanitize.sh) build without the cluster layer: its gRPC stack
/// brings two copies of BoringSSL (swift-nio-ssl's and swift-crypto's) whose sanitized builds
/// would add a quarter of an hour to CI, and its tests run etcd and gateway processes that a
/// sanitized build is too slow for. Everything else is the same build.
let withCluster = ProcessInfo.processInfo.environment["AUTHIP_WITHOUT_CLUSTER"] == nil

let package = Package(
    name: "swift-authip",
    products: [
        .library(name: "AuthIPWire", targets: ["AuthIPWire"]),
        .library(name: "AuthIPCrypto", targets: ["AuthIPCrypto"]),
        .library(name: "AuthIPKeySchedule", targets: ["AuthIPKeySchedule"]),
        .library(name: "AuthIPAccounts", targets: ["AuthIPAccounts"]),
        .library(name: "AuthIPAudit", targets: ["AuthIPAudit"]),
        .library(name: "AuthIPTrust", targets: ["AuthIPTrust"]),
        .library(name: "AuthIPGSS", targets: ["AuthIPGSS"]),
        .library(name: "AuthIPSADatabase", targets: ["AuthIPSADatabase"]),
        .library(name: "AuthIP", targets: ["AuthIP"]),
        .library(name: "AuthIPSimulation", targets: ["AuthIPSimulation"]),
        .library(name: "AuthIPNIO", targets: ["AuthIPNIO"]),
        .library(name: "AuthIPControl", targets: ["AuthIPControl"]),
        .library(name: "AuthIPDirectory", targets: ["AuthIPDirectory"]),
        .library(name: "AuthIPXFRM", targets: ["AuthIPXFRM"]),
        .executable(name: "authip", targets: ["authip"]),
        .executable(name: "authip-bench", targets: ["authip-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
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
        .systemLibrary(name: "CXFRM", path: "Sources/CXFRM"),
        .target(name: "AuthIPXFRM", dependencies: ["CXFRM", "AuthIP", "AuthIPSADatabase", "AuthIPWire"]),
        .target(name: "AuthIPJSON"),
        .target(name: "AuthIPWire", dependencies: ["AuthIPJSON"]),
        .target(name: "AuthIPCrypto", dependencies: ["COpenSSL"]),
        .target(name: "AuthIPKeySchedule", dependencies: ["AuthIPCrypto", "AuthIPWire"]),
        .target(name: "AuthIPAccounts", dependencies: ["AuthIPCrypto", "AuthIPErrors", "AuthIPJSON"]),
        .target(name: "AuthIPAudit", dependencies: ["COpenSSL", "AuthIPCrypto", "AuthIPJSON", "AuthIPErrors"]),
        .target(name: "AuthIPErrors"),
        .target(
            name: "AuthIPTrust", dependencies: ["COpenSSL", "AuthIPCrypto", "AuthIPErrors", "AuthIPJSON", "AuthIPWire"]),
        .target(
            name: "AuthIPGSS",
            dependencies: [
                "COpenSSL", "CGSSAPI", "AuthIPAccounts", "AuthIPCrypto", "AuthIPErrors", "AuthIPJSON", "AuthIPTrust",
                "AuthIPWire",
            ]),
        .target(name: "AuthIPSADatabase", dependencies: ["AuthIPCrypto", "AuthIPWire"]),
        .target(
            name: "AuthIPDirectory",
            dependencies: ["CLDAP", "CWBClient", "AuthIPAccounts", "AuthIPCrypto", "AuthIPErrors"]),
        .target(
            name: "AuthIP",
            dependencies: [
                "AuthIPAccounts", "AuthIPAudit", "AuthIPCrypto", "AuthIPErrors", "AuthIPGSS", "AuthIPKeySchedule",
                "AuthIPSADatabase", "AuthIPTrust", "AuthIPWire",
            ]),
        .target(
            name: "AuthIPSimulation",
            dependencies: [
                "AuthIPAccounts", "AuthIPKeySchedule", "AuthIP", "AuthIPAudit", "AuthIPCrypto", "AuthIPGSS",
                "AuthIPSADatabase", "AuthIPWire",
            ]),
        .target(
            name: "AuthIPScenarios",
            dependencies: [
                "AuthIPAccounts", "AuthIPKeySchedule",
                "AuthIP", "AuthIPAudit", "AuthIPCrypto", "AuthIPErrors", "AuthIPGSS", "AuthIPJSON", "AuthIPSADatabase",
                "AuthIPSimulation",
                "AuthIPTrust", "AuthIPWire",
            ]),
        .target(
            name: "AuthIPNIO",
            dependencies: [
                "AuthIPAccounts", "AuthIPKeySchedule",
                "AuthIP", "AuthIPAudit", "AuthIPControl", "AuthIPDirectory", "AuthIPCrypto", "AuthIPGSS", "AuthIPJSON",
                "AuthIPSADatabase", "AuthIPTrust", "AuthIPWire", "AuthIPXFRM",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "AuthIPLoad",
            dependencies: [
                "AuthIP", "AuthIPAudit", "AuthIPCrypto", "AuthIPJSON", "AuthIPNIO", "AuthIPSADatabase", "AuthIPTrust",
                "AuthIPWire", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "authip",
            dependencies: [
                "AuthIPAccounts", "AuthIPKeySchedule", "AuthIPLoad",
                "AuthIPWire", "AuthIPCrypto", "AuthIPJSON", "AuthIPTrust", "AuthIPNIO", "AuthIPControl",
                "AuthIPScenarios",
                "AuthIP",
                "AuthIPAudit",
                "AuthIPSADatabase", "AuthIPSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "authip-bench",
            dependencies: [
                "AuthIPAccounts", "AuthIPKeySchedule", "AuthIP", "AuthIPScenarios", "AuthIPSADatabase", "AuthIPWire",
                "AuthIPCrypto", "AuthIPJSON", "AuthIPTrust", "AuthIPGSS", "COpenSSL",
            ]),
        .target(name: "AuthIPControl", dependencies: ["AuthIPJSON", "AuthIPSADatabase", "AuthIPWire"]),
        .target(name: "AuthIPFuzzSupport"),
        .executableTarget(
            name: "authip-fuzz-control", dependencies: ["AuthIPFuzzSupport", "AuthIPControl", "AuthIPJSON"]),
        .executableTarget(name: "authip-fuzz-wire", dependencies: ["AuthIPFuzzSupport", "AuthIPWire", "AuthIPJSON"]),
        .executableTarget(
            name: "authip-fuzz-endpoint",
            dependencies: [
                "AuthIPFuzzSupport", "AuthIPAccounts", "AuthIPKeySchedule", "AuthIP", "AuthIPCrypto", "AuthIPGSS",
                "AuthIPSADatabase", "AuthIPWire",
            ]),
        .executableTarget(name: "authip-audit-writer", dependencies: ["AuthIPAudit"]),
        .target(
            name: "AuthIPTestSupport", dependencies: ["AuthIPJSON", "AuthIPWire"], path: "Tests/AuthIPTestSupport"),
        .testTarget(
            name: "AuthIPXFRMTests",
            dependencies: ["AuthIPXFRM", "AuthIP", "AuthIPCrypto", "AuthIPSADatabase", "AuthIPWire", "CXFRM"]),
        .testTarget(name: "AuthIPWireTests", dependencies: ["AuthIPWire", "AuthIPJSON", "AuthIPTestSupport"]),
        .testTarget(
            name: "AuthIPCommandTests", dependencies: ["authip", "AuthIPJSON", "AuthIPWire", "AuthIPTestSupport"]),
        .testTarget(
            name: "AuthIPAuditTests",
            dependencies: ["AuthIPAudit", "AuthIPJSON", "AuthIPTestSupport", "authip-audit-writer"]),
        .testTarget(
            name: "AuthIPTrustTests",
            dependencies: [
                "AuthIPTrust", "AuthIPCrypto", "AuthIPErrors", "AuthIPJSON", "AuthIPNIO", "AuthIPTestSupport",
            ]),
        .testTarget(
            name: "AuthIPGSSTests",
            dependencies: [
                "AuthIPAccounts", "AuthIPKeySchedule", "AuthIPScenarios", "AuthIPGSS", "AuthIPCrypto", "AuthIPErrors",
                "AuthIPJSON", "AuthIPNIO", "AuthIPTrust", "AuthIPWire", "AuthIPTestSupport",
            ]),
        .testTarget(name: "AuthIPSADatabaseTests", dependencies: ["AuthIPSADatabase", "AuthIPCrypto", "AuthIPWire"]),
        .testTarget(
            name: "AuthIPEngineTests",
            dependencies: [
                "AuthIPAccounts", "AuthIPKeySchedule", "AuthIPScenarios", "AuthIP", "AuthIPDirectory",
                "AuthIPSimulation", "AuthIPAudit", "AuthIPCrypto", "AuthIPErrors", "AuthIPGSS", "AuthIPNIO",
                "AuthIPSADatabase", "AuthIPTrust", "AuthIPWire", "AuthIPTestSupport",
            ]),
        .testTarget(
            name: "AuthIPNIOTests",
            dependencies: [
                "AuthIPAccounts", "AuthIPKeySchedule", "AuthIPNIO", "AuthIP", "AuthIPCrypto", "AuthIPAudit",
                "AuthIPGSS", "AuthIPTrust", "AuthIPWire", "AuthIPTestSupport", "AuthIPControl", "AuthIPJSON",
                "AuthIPSADatabase", "AuthIPDirectory", "AuthIPLoad", "authip",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .testTarget(
            name: "AuthIPCryptoTests",
            dependencies: ["AuthIPKeySchedule", "AuthIPCrypto", "AuthIPWire", "AuthIPJSON", "AuthIPTestSupport"]),
    ]
)

if withCluster {
    package.products.append(.library(name: "AuthIPCluster", targets: ["AuthIPCluster"]))
    package.dependencies += [
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ]
    package.targets.append(
        .target(
            name: "AuthIPCluster",
            dependencies: [
                "AuthIP", "AuthIPControl", "AuthIPJSON", "AuthIPNIO", "AuthIPSADatabase", "AuthIPWire",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Etcd/Protos"]))
    for name in ["authip", "AuthIPNIOTests"] {
        package.targets.first { $0.name == name }?.dependencies.append("AuthIPCluster")
    }
}
