import AuthIP
import AuthIPCrypto
import AuthIPGSS
import AuthIPNIO
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

@Suite("DriverConfiguration")
struct DriverConfigurationTests {
    static let ports = LoopbackPorts(ike: 500, natTraversal: 4500)

    static func parse(_ json: String) throws(DriverConfigurationError) -> DriverConfiguration {
        try DriverConfiguration(json: Data(json.utf8), baseDirectory: TestVectors.directory)
    }

    /// The initiator's certificate configuration with one text replaced.
    static func initiator(replacing original: String, with replacement: String) -> String {
        LoopbackConfiguration.initiator(.certificate(), ports: ports).replacingOccurrences(
            of: original, with: replacement)
    }

    @Test("A certificate configuration maps to one transport rule with the Windows default crypto sets")
    func mapsCertificateRule() throws {
        let configuration = try Self.parse(
            LoopbackConfiguration.initiator(.certificate(), ports: LoopbackPorts(ike: 10500, natTraversal: 14500)))
        let endpoint = try configuration.endpointConfiguration()
        #expect(
            endpoint.computerName == "CLIENT1" && endpoint.settings.port == 10500
                && endpoint.settings.natTraversalPort == 14500)
        let rule = try #require(endpoint.rules.first)
        #expect(rule.mode == .transport && rule.local.addresses == AddressRange(IPAddress("127.0.0.2")!))
        #expect(rule.mainModeCrypto == .windowsDefault && rule.quickModeCrypto == .windowsDefault)
        #expect(rule.mainModeAuthentication.methods.map(\.method) == [.tls])
        #expect(
            configuration.acquire == [
                TrafficRequest(
                    source: IPAddress("127.0.0.2")!, destination: IPAddress("127.0.0.1")!,
                    ipProtocol: 6, destinationPort: 445)
            ])
    }

    @Test("A rule's TLS versions and Quick Mode key split are read (Windows 7 clients, RISK 1)")
    func tlsVersionsAndKeySplit() throws {
        let configuration = try Self.parse(
            Self.initiator(
                replacing: "\"revocation\": \"none\"", with: "\"revocation\": \"none\", \"tlsVersions\": \"1.0-1.2\""
            )
            .replacingOccurrences(
                of: "\"name\": \"To the server\"",
                with: "\"name\": \"To the server\", \"quickModeKeyOrder\": \"encryption-key-first\""))
        let rule = try #require(try configuration.endpointConfiguration().rules.first)
        #expect(rule.quickModeKeyOrder == .encryptionKeyFirst)
        guard case .certificate(let tls)? = rule.mainModeAuthentication.methods.first else {
            Issue.record("no certificate method")
            return
        }
        #expect(tls.versions == TLSVersion.tls10 ... .tls12)
        let defaults = try #require(
            try Self.parse(Self.initiator(replacing: "", with: "")).endpointConfiguration().rules.first)
        #expect(defaults.quickModeKeyOrder == .integrityKeyFirst)
    }

    @Test("Tunnel endpoints, crypto choices and a relative account directory are read")
    func mapsTunnelAndCrypto() throws {
        let json = """
            {"computerName": "DASERVER", "principalName": "DASERVER$@CORP", "localAddresses": ["2001:db8:1::1"],
             "rules": [{"name": "Tunnel", "local": "2001:db8:1::/48", "remote": "2001:db8::/32", "protocol": 6, "remotePort": 445,
                        "tunnel": {"localEndpoint": "2001:db8:1::1", "remoteEndpoints": "2001:db8:2::1-2001:db8:2::9"},
                        "peerSelectors": ["fd00::/8"],
                        "authentication": [{"method": "ntlm", "acceptor": {"netbiosDomain": "CORP", "netbiosComputer": "DASERVER",
                            "dnsDomain": "corp.contoso.com", "dnsComputer": "daserver.corp.contoso.com", "directory": "directory/accounts.json"}},
                                           {"method": "anonymous"}],
                        "mainModeCrypto": {"proposals": [{"cipher": "aes128", "hash": "sha1", "group": "modp2048"}], "lifetimeSeconds": 3600},
                        "quickModeCrypto": {"proposals": [{"cipher": "aes256", "integrity": "sha256"}], "pfsGroup": "ecp384"}}]}
            """
        let rule = try #require(try Self.parse(json).endpointConfiguration().rules.first)
        #expect(
            rule.mode
                == .tunnel(
                    localEndpoint: IPAddress("2001:db8:1::1")!,
                    remoteEndpoints: AddressRange("2001:db8:2::1-2001:db8:2::9")!))
        #expect(rule.remote == TrafficSelector(AddressRange("2001:db8::/32")!, ipProtocol: 6, port: 445))
        #expect(rule.peerSelectors == .ranges([AddressRange("fd00::/8")!]))
        #expect(rule.mainModeAuthentication.methods.map(\.method) == [.ntlm, .anonymous])
        #expect(
            rule.mainModeCrypto
                == MainModeCryptoSet(
                    proposals: [MainModeProposal(cipher: .aes128, hash: .sha1, group: .modp2048)],
                    lifetimeSeconds: 3600))
        #expect(rule.quickModeCrypto.proposals == [QuickModeProposal(cipher: .aes256, integrity: .sha256)])
        #expect(rule.quickModeCrypto.pfsGroup == .ecp384 && rule.quickModeCrypto.lifetimeSeconds == 3600)
    }

    @Test(
        "Mistakes are reported with the path of the member concerned",
        arguments: [
            (
                "\"revocation\": \"none\"", "\"revocaton\": \"none\"",
                DriverConfigurationError.invalidField(
                    field: "rules[0].authentication[0].revocaton", reason: "is not a known field")
            ),
            (
                "\"revocation\": \"none\"", "\"revocation\": \"none\", \"tlsVersions\": \"1.2-1.0\"",
                .invalidField(
                    field: "rules[0].authentication[0].tlsVersions",
                    reason: "is \"1.2-1.0\", not a TLS version or a range such as 1.0-1.2")
            ),
            (
                "\"name\": \"To the server\"", "\"name\": \"To the server\", \"quickModeKeyOrder\": \"keys-first\"",
                .invalidField(
                    field: "rules[0].quickModeKeyOrder",
                    reason: "is \"keys-first\", not integrity-key-first or encryption-key-first")
            ),
            (
                "\"revocation\": \"none\"", "\"revocation\": \"sometimes\"",
                .invalidField(
                    field: "rules[0].authentication[0].revocation", reason: "is \"sometimes\", not none, weak or strong"
                )
            ),
            (
                "\"remote\": \"127.0.0.1\"", "\"remote\": \"127.0.0.0/33\"",
                .invalidField(
                    field: "rules[0].remote",
                    reason: "is \"127.0.0.0/33\", not an address, a prefix or a range first-last")
            ),
            (
                "\"port\": 445}]", "\"port\": 445}, {\"source\": \"127.0.0.2\", \"destination\": \"10.0.0.1\"}]",
                .invalidField(field: "acquire[1]", reason: "falls under no rule")
            ),
            (
                "\"localAddresses\": [\"127.0.0.2\"]", "\"localAddresses\": [\"127.0.0.3\"]",
                .invalidField(field: "acquire[0].source", reason: "is 127.0.0.2, which is not one of localAddresses")
            ),
            (
                "\"localAddresses\": [\"127.0.0.2\"]", "\"localAddresses\": [\"127.0.0.2\", \"127.0.0.2\"]",
                .invalidField(field: "localAddresses", reason: "lists an address twice")
            ),
            (
                "\"remote\": \"127.0.0.1\",",
                "\"remote\": \"127.0.0.1\", \"tunnel\": {\"localEndpoint\": \"127.0.0.9\", \"remoteEndpoints\": \"127.0.0.1\"},",
                .invalidField(
                    field: "rules[0].tunnel.localEndpoint", reason: "is 127.0.0.9, which is not one of localAddresses")
            ),
            ("\"computerName\": \"CLIENT1\", ", "", .invalidField(field: "computerName", reason: "is missing")),
            (
                "\"port\": 500,", "\"port\": \"500\",",
                .invalidField(field: "port", reason: "is not a whole number in range")
            ),
            (
                "\"natTraversalPort\": 4500", "\"natTraversalPort\": 500",
                .invalidField(field: "natTraversalPort", reason: "is the same as port")
            ),
            (
                "\"natTraversalPort\": 4500", "\"natTraversalPort\": 4500, \"denialOfServiceThreshold\": 0",
                .invalidField(field: "denialOfServiceThreshold", reason: "must be 1 to 1000000")
            ),
            (
                "{\"method\": \"certificate\"", "{\"method\": \"psk\"",
                .invalidField(
                    field: "rules[0].authentication[0].method",
                    reason: "is \"psk\", not certificate, kerberos, ntlm or anonymous")
            ),
        ])
    func reportsMistakes(original: String, replacement: String, expected: DriverConfigurationError) {
        #expect(throws: expected) { try Self.parse(Self.initiator(replacing: original, with: replacement)) }
    }

    /// The NTLM responder's configuration with Active Directory: accounts over LDAP, NTLM through winbind.
    static func activeDirectoryResponder(
        _ extra: String = "", acceptor: String = "\"domainController\": \"winbind\"",
        passwordMode: mode_t = 0o600
    ) throws -> String {
        let passwordFile = try Self.file("Svc-Pw\nignored\n", mode: passwordMode)
        return """
            {"computerName": "DASERVER", "principalName": "host/daserver.da.test@DA.TEST", "localAddresses": ["127.0.0.1"],
             "rules": [{"name": "Clients", "local": "127.0.0.1", "remote": "127.0.0.0/8",
                        "authentication": [{"method": "ntlm", "acceptor": {"netbiosDomain": "DA", "netbiosComputer": "DASERVER",
                            "dnsDomain": "da.test", "dnsComputer": "daserver.da.test", \(acceptor)}}]}],
             "activeDirectory": {"uri": "ldaps://dc.da.test", "security": "ldaps", "caFile": "/etc/dc-ca.pem",
                                 "bindDN": "svc-authip@da.test", "passwordFile": "\(passwordFile)", "baseDN": "DC=da,DC=test",
                                 "domain": "DA"\(extra)}}
            """
    }

    @Test("activeDirectory: the LDAP directory with its password from a file, the engine's policy, NTLM through the DC")
    func activeDirectory() throws {
        let configuration = try Self.parse(try Self.activeDirectoryResponder(", \"cacheLifetime\": 30, \"timeout\": 4"))
        let (directory, policy) = try #require(try configuration.remoteDirectory())
        #expect(
            directory.configuration.password == SecretBytes(Array("Svc-Pw".utf8))
                && directory.configuration.security == .ldaps)
        #expect(directory.configuration.baseDN == "DC=da,DC=test" && directory.configuration.domain == "DA")
        #expect(policy == RemoteDirectoryPolicy(cacheLifetime: .seconds(30), timeout: .seconds(4)))
        let endpoint = try configuration.endpointConfiguration()
        #expect(endpoint.remoteDirectory == policy)
        guard case .ntlm(_, let acceptor?) = try #require(endpoint.rules.first?.mainModeAuthentication.methods.first),
            case .domainController = acceptor.verifier
        else {
            Issue.record("the NTLM acceptor does not ask the domain controller")
            return
        }
    }

    @Test(
        "activeDirectory mistakes: an unknown security, a negative lifetime, an acceptor with both a directory and the DC"
    )
    func activeDirectoryMistakes() throws {
        #expect(throws: DriverConfigurationError.self) {
            try Self.parse(
                try Self.activeDirectoryResponder().replacingOccurrences(
                    of: "\"security\": \"ldaps\"", with: "\"security\": \"tls\""))
        }
        #expect(throws: DriverConfigurationError.self) {
            try Self.parse(try Self.activeDirectoryResponder(", \"cacheLifetime\": -1"))
        }
        #expect(throws: DriverConfigurationError.self, "ldaps with an ldap:// URI would bind in the clear") {
            try Self.parse(
                try Self.activeDirectoryResponder().replacingOccurrences(
                    of: "ldaps://dc.da.test", with: "ldap://dc.da.test"))
        }
        #expect(throws: DriverConfigurationError.self) {
            try Self.parse(
                try Self.activeDirectoryResponder(
                    acceptor: "\"domainController\": \"winbind\", \"directory\": \"x.json\""))
        }
        #expect(throws: DriverConfigurationError.self) {
            try Self.parse(try Self.activeDirectoryResponder(acceptor: "\"domainController\": \"ldap\""))
        }
    }

    @Test("Text that is not JSON is reported as such")
    func rejectsNonJSON() {
        #expect { try Self.parse("{\"computerName\": ") } throws: { error in
            if case .notJSON = error as? DriverConfigurationError { return true }
            return false
        }
    }

    @Test("A missing root file is reported with the member and the path")
    func reportsUnloadableFile() throws {
        let configuration = try Self.parse(Self.initiator(replacing: "root.pem", with: "no-such-root.pem"))
        #expect { try configuration.endpointConfiguration() } throws: { error in
            guard case let .unloadable(field, path, _) = error as? DriverConfigurationError else { return false }
            return field == "rules[0].authentication[0].trustedRoots[0]" && path.hasSuffix("pki/tls/no-such-root.pem")
        }
    }

    /// `text` in a temporary file with `mode`.
    static func file(_ text: String, mode: mode_t) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-config-\(getpid())-\(UUID().uuidString)"
        ).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    @Test("A configuration with a password inline must be its owner's alone; one without may be read by others")
    func passwordsInConfiguration() throws {
        let withPassword = try Self.file(LoopbackConfiguration.initiator(.ntlm, ports: Self.ports), mode: 0o644)
        defer { unlink(withPassword) }
        #expect { try DriverConfiguration.load(path: withPassword) } throws: { error in
            guard case .unreadable(let path, let reason) = error as? DriverConfigurationError else { return false }
            return path == withPassword && reason.contains("holds passwords") && reason.contains("mode 0644")
        }
        chmod(withPassword, 0o600)
        #expect(try DriverConfiguration.load(path: withPassword).endpointConfiguration().rules.count == 1)
        let without = try Self.file(LoopbackConfiguration.initiator(.certificate(), ports: Self.ports), mode: 0o644)
        defer { unlink(without) }
        #expect(try DriverConfiguration.load(path: without).endpointConfiguration().rules.count == 1)
    }

    @Test(
        "A keytab and the LDAP password file that others may read are refused, naming the member, the file and its mode"
    )
    func secretFilesOfTheConfiguration() throws {
        let keytab = try Self.file("not really a keytab", mode: 0o644)
        defer { unlink(keytab) }
        let kerberos = """
            {"computerName": "DASERVER", "principalName": "host/daserver.da.test@DA.TEST", "localAddresses": ["127.0.0.1"],
             "rules": [{"name": "Clients", "local": "127.0.0.1", "remote": "127.0.0.0/8",
                        "authentication": [{"method": "kerberos", "acceptor": {"keytab": "\(keytab)"}}]}]}
            """
        #expect { try Self.parse(kerberos).endpointConfiguration() } throws: { error in
            guard case let .unloadable(field, path, reason) = error as? DriverConfigurationError else { return false }
            return field == "rules[0].authentication[0].acceptor.keytab" && path == keytab
                && reason.contains("mode 0644")
        }
        let configuration = try Self.parse(try Self.activeDirectoryResponder(passwordMode: 0o640))
        #expect { try configuration.remoteDirectory() } throws: { error in
            guard case let .unloadable(field, path, reason) = error as? DriverConfigurationError else { return false }
            return field == "activeDirectory.passwordFile" && path.contains("authip-config-")
                && reason.contains("mode 0640")
        }
    }

    @Test("dataPlane: xfrm or none, nothing else; a rule without peerSelectors takes only the peer's address")
    func dataPlaneChoice() throws {
        let base = """
            {"computerName": "X", "principalName": "X$@Y", "localAddresses": ["127.0.0.1"], %@
             "rules": [{"name": "R", "local": "127.0.0.1", "remote": "127.0.0.0/8", "authentication": [{"method": "anonymous"}]}]}
            """
        func configuration(_ member: String) throws -> DriverConfiguration {
            try Self.parse(base.replacingOccurrences(of: "%@", with: member))
        }
        #expect(try configuration("\"dataPlane\": \"xfrm\",").dataPlane == .xfrm)
        #expect(try configuration("\"dataPlane\": \"none\",").dataPlane == .none)
        #expect(try configuration("").dataPlane == (geteuid() == 0 ? .xfrm : .none))
        #expect(throws: DriverConfigurationError.self) { try configuration("\"dataPlane\": \"pfkey\",") }
        #expect(try configuration("").endpointConfiguration().rules.first?.peerSelectors == .peerAddress)
    }

    @Test("load(path:) names a file that does not exist")
    func reportsMissingFile() {
        #expect(throws: DriverConfigurationError.unreadable(path: "/nonexistent/authip.json", reason: "no such file")) {
            try DriverConfiguration.load(path: "/nonexistent/authip.json")
        }
    }
}
