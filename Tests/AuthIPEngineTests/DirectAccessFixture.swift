import AuthIP
import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPTrust
import AuthIPWire
import Foundation
import Testing

/// A DirectAccess server (public IPv4 131.107.0.2 and .3) and a client (6to4 2002:c000:207::c000:207)
/// built from the presets, the test KDC for the intranet tunnel and a directory for the
/// infrastructure tunnel and authorization.
struct DirectAccessFixture {
    static let clientAddress = IPAddress.v6(.sixToFour(IPv4Address("192.0.2.7")!))
    static let dns = AddressRange(IPAddress("2001:db8:1::53")!)
    static let domainController = AddressRange(IPAddress("2001:db8:1::10")!)
    static let intranet = AddressRange(IPAddress("2001:db8:1::")!, prefixLength: 48)
    static let fileServer = IPAddress("2001:db8:1:5::20")!
    /// The ISATAP /96 behind the intranet's 2001:db8:1:8000::/64.
    static let management = IPv6Address.isatapPrefix(IPv6Address("2001:db8:1:8000::")!)
    static let helpdesk = IPAddress.v6(
        .isatap(prefix: IPv6Address("2001:db8:1:8000::")!, ipv4: IPv4Address("10.1.2.3")!))

    /// The directory of the domain, with switches for the cases under test.
    static func directory(
        computerEnabled: Bool = true, userEnabled: Bool = true,
        userGroups: [String] = ["Domain Users", "DirectAccess Users"],
        smartCardRequired: Bool = false
    ) throws -> JSONAccountDirectory {
        let groups = userGroups.map { "\"\($0)\"" }.joined(separator: ", ")
        return try JSONAccountDirectory(
            json: """
                {"domain": "CORP", "dnsDomain": "corp.contoso.com", "accounts": [
                  {"name": "CLIENT1$", "kind": "computer", "enabled": \(computerEnabled), "password": "Client1-Machine-Secret",
                   "groups": ["Domain Computers", "DirectAccess Clients"]},
                  {"name": "CLIENT2$", "kind": "computer", "enabled": true, "password": "Client2-Machine-Secret", "groups": ["Domain Computers"]},
                  {"name": "alice", "kind": "user", "enabled": \(userEnabled), "password": "Alice-Pw-1", "groups": [\(groups)],
                   "smartCardRequired": \(smartCardRequired)}
                ]}
                """)
    }

    static func serverSetup(
        directory: JSONAccountDirectory, revocation: RevocationMode = .weak,
        authorization: AuthorizationPolicy = AuthorizationPolicy(
            requiredComputerGroup: "DirectAccess Clients",
            requiredUserGroup: "DirectAccess Users"),
        managementPrefixes: [AddressRange]? = [management]
    ) throws -> DirectAccess.Server {
        let realm = try KerberosRealm.shared.get()
        return DirectAccess.Server(
            firstPublicIPv4: IPv4Address("131.107.0.2")!, secondPublicIPv4: IPv4Address("131.107.0.3")!,
            certificate: TLSConfiguration(
                identities: [try EngineFixture.identity("server-rsa")],
                trust: .directAccessServer(roots: [try EngineFixture.root()], revocation: revocation),
                crlCache: try EngineFixture.cachedCRL()),
            ntlm: NTLMAcceptorSetup(
                configuration: NTLMAcceptorConfiguration(
                    netbiosDomainName: "CORP", netbiosComputerName: "DASERVER", dnsDomainName: "corp.contoso.com",
                    dnsComputerName: "daserver.corp.contoso.com"), directory: directory),
            keytab: .keytab(realm.serverKeytab), infrastructureServers: [dns, domainController],
            intranetPrefixes: [intranet],
            managementPrefixes: managementPrefixes, authorization: authorization)
    }

    static func clientSetup(
        certificate: String = "client-rsa", computerPassword: String = "Client1-Machine-Secret",
        userCache: String = "cc_alice"
    ) throws -> DirectAccess.Client {
        let realm = try KerberosRealm.shared.get()
        return DirectAccess.Client(
            address: clientAddress, serverFirstPublicIPv4: IPv4Address("131.107.0.2")!,
            serverSecondPublicIPv4: IPv4Address("131.107.0.3")!,
            certificate: TLSConfiguration(
                identities: [try EngineFixture.identity(certificate)],
                trust: .directAccessClient(roots: [try EngineFixture.root()])),
            computerAccount: NTLMCredentials(
                user: "CLIENT1$", domain: "CORP", password: computerPassword, workstation: "CLIENT1"),
            user: .cache(realm.cache(userCache)), infrastructureServers: [dns, domainController],
            intranetPrefixes: [intranet],
            managementPrefixes: [management])
    }

    /// `rules` with the Extended Mode policy of those whose name contains `name` (all when nil)
    /// changed.
    static func rules(
        _ rules: [ConnectionSecurityRule], named name: String? = nil,
        changingExtendedMode change: (inout ExtendedModePolicy) -> Void
    ) -> [ConnectionSecurityRule] {
        rules.map { rule in
            var rule = rule
            if name.map(rule.name.contains) ?? true, var policy = rule.extendedMode {
                change(&policy)
                rule.extendedMode = policy
            }
            return rule
        }
    }

    var simulation: Simulation
    let client: Int
    let server: Int
    let serverSetup: DirectAccess.Server

    init(
        server serverSetup: DirectAccess.Server, client clientSetup: DirectAccess.Client,
        directory: JSONAccountDirectory,
        clientRules: [ConnectionSecurityRule]? = nil, serverRules: [ConnectionSecurityRule]? = nil, seed: UInt64 = 1,
        conditions: NetworkConditions = .ideal, serverSettings: EndpointSettings = EndpointSettings(),
        serverPrincipal: String = KerberosRealm.service, serverHasDirectory: Bool = true
    ) {
        self.serverSetup = serverSetup
        simulation = Simulation(seed: seed, conditions: conditions, start: EngineFixture.start)
        client = simulation.add(
            "CLIENT1",
            Endpoint(
                configuration: EndpointConfiguration(
                    computerName: "CLIENT1", principalName: "CLIENT1$@DA.TEST", rules: clientRules ?? clientSetup.rules),
                random: SeededRandomSource(seed: seed &+ 100), now: EngineFixture.start),
            addresses: [clientSetup.address])
        server = simulation.add(
            "DASERVER",
            Endpoint(
                configuration: EndpointConfiguration(
                    computerName: "DASERVER", principalName: serverPrincipal, rules: serverRules ?? serverSetup.rules,
                    settings: serverSettings, directory: serverHasDirectory ? directory : nil),
                random: SeededRandomSource(seed: seed &+ 200), now: EngineFixture.start),
            addresses: [serverSetup.infrastructureTunnelEndpoint, serverSetup.intranetTunnelEndpoint])
    }

    /// The client reaches `destination` (the DNS server: infrastructure tunnel; a file server:
    /// intranet tunnel).
    mutating func reach(_ destination: IPAddress, port: UInt16 = 445) {
        simulation.inject(
            .acquire(
                TrafficRequest(
                    source: Self.clientAddress, destination: destination, ipProtocol: 6, destinationPort: port)),
            into: client)
    }

    mutating func run(seconds: Double = 30) { simulation.run(for: .milliseconds(Int64(seconds * 1000))) }

    var clientNode: SimulatedNode { simulation.nodes[client] }
    var serverNode: SimulatedNode { simulation.nodes[server] }

    /// Every SA the client's data plane holds has its twin at the server, with the same keys.
    func expectMatchingKeys(sourceLocation: SourceLocation = #_sourceLocation) {
        let serverSAs = serverNode.installedSAs.values.flatMap { Array($0.values) }
        for sa in clientNode.installedSAs.values.flatMap({ Array($0.values) }) {
            let twin = serverSAs.first { $0.spi == sa.spi && $0.direction != sa.direction }
            #expect(
                twin?.encryptionKey == sa.encryptionKey && twin?.integrityKey == sa.integrityKey, "SPI \(sa.spi)",
                sourceLocation: sourceLocation)
        }
    }
}
