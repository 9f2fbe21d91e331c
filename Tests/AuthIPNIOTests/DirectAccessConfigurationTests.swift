import AuthIP
import AuthIPNIO
import AuthIPScenarios
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

/// The `directAccess` section: both tunnels of the server or the client from one member, and
/// the rules' `extendedMode`, `authorization` and `managementPrefixes`.
@Suite("DriverConfiguration: directAccess and the rules' second authentication", .serialized)
struct DirectAccessConfigurationTests {
    static let repository = TestVectors.directory.deletingLastPathComponent()
    static let pki = TestVectors.directory.appendingPathComponent("pki/tls").path
    static let accounts = TestVectors.directory.appendingPathComponent("directory/accounts.json").path

    static func server(keytab: String, extra: String = "") -> String {
        """
        {"computerName": "DASERVER", "principalName": "host/daserver.da.test@DA.TEST",
         "localAddresses": ["2002:836b:2::836b:2", "2002:836b:3::836b:3"],
         "directAccess": {"server": {
           "publicIPv4": ["131.107.0.2", "131.107.0.3"],
           "certificate": {"identities": [{"certificate": "\(pki)/server-rsa.pem", "key": "\(pki)/server-rsa.key"}],
                           "trustedRoots": ["\(pki)/root.pem"]},
           "ntlm": {"netbiosDomain": "CORP", "netbiosComputer": "DASERVER", "dnsDomain": "corp.contoso.com",
                    "dnsComputer": "daserver.corp.contoso.com", "directory": "\(accounts)"},
           "keytab": "\(keytab)",
           "infrastructureServers": ["2001:db8:1::53", "2001:db8:1::10"], "intranetPrefixes": ["2001:db8:1::/48"],
           "managementPrefixes": ["2001:db8:1:8000::/96"],
           "authorization": {"computerGroup": "DirectAccess Clients", "userGroup": "DirectAccess Users", "smartCard": true},
           "directory": "\(accounts)"\(extra)}}}
        """
    }

    static func client(extra: String = "") -> String {
        """
        {"computerName": "CLIENT1", "principalName": "CLIENT1$@CORP.CONTOSO.COM", "localAddresses": ["2002:c612:1::c612:1"],
         "directAccess": {"client": {
           "address": "2002:c612:1::c612:1", "serverPublicIPv4": ["131.107.0.2", "131.107.0.3"],
           "certificate": {"identities": [{"certificate": "\(pki)/client-rsa.pem", "key": "\(pki)/client-rsa.key"}],
                           "trustedRoots": ["\(pki)/root.pem"]},
           "computerAccount": {"user": "CLIENT1$", "domain": "CORP", "password": "Client1-Machine-Secret"},
           "user": {"cache": "FILE:/tmp/krb5cc_alice"},
           "infrastructureServers": ["2001:db8:1::53", "2001:db8:1::10"], "intranetPrefixes": ["2001:db8:1::/48"],
           "serverIdentity": {"servicePrincipalName": "host/daserver.da.test@DA.TEST"}\(extra)}},
         "acquire": [{"source": "2002:c612:1::c612:1", "destination": "2001:db8:1::53", "protocol": 17, "port": 53}]}
        """
    }

    static func parse(_ json: String) throws(DriverConfigurationError) -> DriverConfiguration {
        try DriverConfiguration(json: Data(json.utf8), baseDirectory: TestVectors.directory)
    }

    @Test("The server's section makes the preset's rules: both tunnels and manage out, with their checks")
    func server() throws {
        let realm = try KerberosRealm.shared.get()
        let endpoint = try Self.parse(Self.server(keytab: realm.serverKeytab)).endpointConfiguration()
        #expect(
            endpoint.rules.map(\.name) == [
                "DirectAccess Policy-DaServerToInfra 1", "DirectAccess Policy-DaServerToInfra 2",
                "DirectAccess Policy-DaServerToMgmt 1", "DirectAccess Policy-DaServerToCorp 1",
            ])
        let intranet = try #require(endpoint.rules.last)
        #expect(intranet.mode == .tunnel(localEndpoint: IPAddress("2002:836b:3::836b:3")!, remoteEndpoints: .allIPv6))
        #expect(intranet.extendedMode?.authentication.methods.map(\.method) == [.kerberos])
        #expect(
            intranet.authorization.requiredUserGroup == "DirectAccess Users" && intranet.authorization.requiresSmartCard
        )
        #expect(endpoint.rules[0].extendedMode?.authentication.methods.map(\.method) == [.ntlm])
        #expect(
            endpoint.rules[2].managementPrefixes == [AddressRange(IPAddress("2001:db8:1:8000::")!, prefixLength: 96)])
        #expect(endpoint.directory != nil)
    }

    @Test("The client's section makes its rules, pinned to the server's identity; its password makes the file secret")
    func client() throws {
        let configuration = try Self.parse(Self.client())
        let endpoint = try configuration.endpointConfiguration()
        #expect(
            endpoint.rules.map(\.name) == [
                "DirectAccess Policy-ClientToDnsDc 1", "DirectAccess Policy-ClientToDnsDc 2",
                "DirectAccess Policy-ClientToCorp 1",
            ])
        #expect(
            endpoint.rules.allSatisfy { $0.responderIdentity?.servicePrincipalName == "host/daserver.da.test@DA.TEST" })
        #expect(endpoint.rules.last?.extendedMode?.impersonate == true)
        let path = try DriverConfigurationTests.file(Self.client(), mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: DriverConfigurationError.self) { try DriverConfiguration.load(path: path) }
    }

    @Test(
        "Mistakes in the section are reported with their member's path",
        arguments: [
            (
                "\"publicIPv4\": [\"131.107.0.2\", \"131.107.0.3\"]", "\"publicIPv4\": [\"131.107.0.2\"]",
                DriverConfigurationError.invalidField(
                    field: "directAccess.server.publicIPv4",
                    reason: "needs two different addresses: the infrastructure and the intranet tunnel's")
            ),
            (
                "\"localAddresses\": [\"2002:836b:2::836b:2\", \"2002:836b:3::836b:3\"]",
                "\"localAddresses\": [\"2002:836b:2::836b:2\"]",
                .invalidField(
                    field: "directAccess",
                    reason: "has the tunnel endpoint 2002:836b:3::836b:3, which is not one of localAddresses")
            ),
            (
                "\"keytab\":", "\"keytabs\": \"x\", \"keytab\":",
                .invalidField(field: "directAccess.server.keytabs", reason: "is not a known field")
            ),
            (
                "\"smartCard\": true", "\"smartCard\": \"yes\"",
                .invalidField(field: "directAccess.server.authorization.smartCard", reason: "is not true or false")
            ),
            (
                "\"intranetPrefixes\": [\"2001:db8:1::/48\"]", "\"intranetPrefixes\": []",
                .invalidField(field: "directAccess.server.intranetPrefixes", reason: "is empty")
            ),
            (
                "\"directAccess\": {\"server\": {", "\"directAccess\": {\"client\": {}, \"server\": {",
                .invalidField(field: "directAccess.client.address", reason: "is missing")
            ),
        ])
    func serverMistakes(original: String, replacement: String, expected: DriverConfigurationError) {
        let json = Self.server(keytab: "/nonexistent").replacingOccurrences(of: original, with: replacement)
        #expect(throws: expected) { try Self.parse(json) }
    }

    @Test("Without directAccess, rules are required; a keytab others may read is refused")
    func requiredMembers() throws {
        let noRules = """
            {"computerName": "X", "principalName": "X$@Y", "localAddresses": ["127.0.0.1"]}
            """
        #expect(throws: DriverConfigurationError.invalidField(field: "rules", reason: "is missing")) {
            try Self.parse(noRules)
        }
        let keytab = try DriverConfigurationTests.file("not a keytab", mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: keytab) }
        #expect(throws: DriverConfigurationError.self) {
            try Self.parse(Self.server(keytab: keytab)).endpointConfiguration()
        }
    }

    @Test("A rule's extendedMode, authorization and managementPrefixes are read")
    func ruleSecondAuthentication() throws {
        let json = LoopbackConfiguration.responder(.certificate(), ports: DriverConfigurationTests.ports)
            .replacingOccurrences(
                of: "\"authentication\": [",
                with: """
                    "extendedMode": {"authentication": [{"method": "ntlm", "acceptor": {"netbiosDomain": "CORP", \
                    "netbiosComputer": "DASERVER", "dnsDomain": "corp.contoso.com", "dnsComputer": "daserver.corp.contoso.com", \
                    "directory": "\(Self.accounts)"}}], "allowExplicitCredentials": true},
                    "authorization": {"computerGroup": "DirectAccess Clients", "healthCertificate": true},
                    "managementPrefixes": ["10.1.0.0/16"],
                    "authentication": [
                    """)
        let rule = try #require(try Self.parse(json).endpointConfiguration().rules.first)
        #expect(rule.extendedMode?.authentication.methods.map(\.method) == [.ntlm])
        #expect(rule.extendedMode?.allowsExplicitCredentials == true)
        #expect(rule.authorization.requiredComputerGroup == "DirectAccess Clients")
        #expect(rule.authorization.requiresHealthCertificate)
        #expect(rule.managementPrefixes == [AddressRange(IPAddress("10.1.0.0")!, prefixLength: 16)])
    }

    @Test("The examples parse as they are")
    func examples() throws {
        for name in ["directaccess-server.json", "directaccess-client.json"] {
            let url = Self.repository.appendingPathComponent("Examples/\(name)")
            let configuration = try DriverConfiguration(
                json: try Data(contentsOf: url), baseDirectory: url.deletingLastPathComponent())
            #expect(
                configuration.controlSocketPath?.hasPrefix(Self.repository.appendingPathComponent("Examples").path)
                    == true)
        }
    }
}

/// The `audit` member: the durable log and syslog.
@Suite("DriverConfiguration: audit")
struct AuditConfigurationTests {
    static func configuration(_ audit: String) -> String {
        LoopbackConfiguration.responder(.certificate(), ports: DriverConfigurationTests.ports)
            .replacingOccurrences(of: "{\"computerName\"", with: "{\"audit\": \(audit), \"computerName\"")
    }

    @Test("A log path resolved against the file's folder, and syslog over UDP, a Unix socket, TCP or TLS")
    func parses() throws {
        _ = try DriverConfigurationTests.parse(Self.configuration("{\"syslog\": {\"tcp\": \"192.0.2.1:601\"}}"))
        _ = try DriverConfigurationTests.parse(
            Self.configuration(
                "{\"syslog\": {\"tls\": \"192.0.2.1:6514\", \"caFile\": \"ca.pem\", \"serverName\": \"logs.example\", "
                    + "\"certificateFile\": \"client.pem\", \"keyFile\": \"client.key\"}}"))
        let configuration = try DriverConfigurationTests.parse(
            Self.configuration("{\"log\": \"audit.jsonl\", \"syslog\": {\"udp\": \"[2001:db8::514]:514\"}}"))
        #expect(configuration.auditLogPath == TestVectors.directory.appendingPathComponent("audit.jsonl").path)
        _ = try DriverConfigurationTests.parse(
            Self.configuration("{\"syslog\": {\"unix\": \"/dev/log\", \"appName\": \"authip\"}}"))
        _ = try DriverConfigurationTests.parse(Self.configuration("{\"syslog\": {\"udp\": \"192.0.2.1:514\"}}"))
    }

    @Test(
        "Mistakes name the member",
        arguments: [
            ("{\"syslog\": {\"udp\": \"syslog.example:514\"}}", "audit.syslog.udp"),
            ("{\"syslog\": {\"udp\": \"2001:db8::1:514\"}}", "audit.syslog.udp"),
            ("{\"syslog\": {\"udp\": \"192.0.2.1:0\"}}", "audit.syslog.udp"),
            ("{\"syslog\": {}}", "audit.syslog.udp"),
            ("{\"syslog\": {\"udp\": \"192.0.2.1:514\", \"tcp\": \"192.0.2.1:601\"}}", "audit.syslog.udp"),
            ("{\"syslog\": {\"tcp\": \"logs.example:601\"}}", "audit.syslog.tcp"),
            ("{\"syslog\": {\"tls\": \"192.0.2.1:6514\"}}", "audit.syslog.caFile"),
            ("{\"syslog\": {\"udp\": \"192.0.2.1:514\", \"caFile\": \"ca.pem\"}}", "audit.syslog.caFile"),
            (
                "{\"syslog\": {\"tls\": \"192.0.2.1:6514\", \"caFile\": \"ca.pem\", \"keyFile\": \"k.pem\"}}",
                "audit.syslog.keyFile"
            ),
            ("{\"syslog\": {\"unix\": \"/dev/log\", \"appName\": \"two words\"}}", "audit.syslog.appName"),
            ("{\"logs\": \"a\"}", "audit.logs"),
        ])
    func mistakes(_ audit: String, _ field: String) {
        do {
            _ = try DriverConfigurationTests.parse(Self.configuration(audit))
            Issue.record("accepted \(audit)")
        } catch {
            guard case .invalidField(let named, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(named == field)
        }
    }
}

/// The `metrics` member: where the Prometheus endpoint listens.
@Suite("DriverConfiguration: metrics")
struct MetricsConfigurationTests {
    static func configuration(_ metrics: String) -> String {
        LoopbackConfiguration.responder(.certificate(), ports: DriverConfigurationTests.ports)
            .replacingOccurrences(of: "{\"computerName\"", with: "{\"metrics\": \(metrics), \"computerName\"")
    }

    @Test(
        "A numeric address and port (IPv6 in brackets, port 0 for any) is taken; anything else names the member",
        arguments: [
            ("{\"listen\": \"127.0.0.1:9464\"}", true), ("{\"listen\": \"[::1]:0\"}", true),
            ("{\"listen\": \"localhost:9464\"}", false), ("{\"listen\": \"::1:9464\"}", false),
            ("{\"listen\": \"[127.0.0.1]:9464\"}", false), ("{\"listen\": \"127.0.0.1\"}", false),
            ("{\"port\": 9464}", false),
        ])
    func listen(_ metrics: String, _ accepted: Bool) {
        do {
            _ = try DriverConfigurationTests.parse(Self.configuration(metrics))
            #expect(accepted, "accepted \(metrics)")
        } catch {
            #expect(!accepted, "\(error)")
            if case .invalidField(let field, _) = error { #expect(field.hasPrefix("metrics.")) }
        }
    }
}
