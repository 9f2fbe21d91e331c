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

/// Two endpoints (a client and a server) with transport-mode rules between them, on the
/// simulated network, with the certificates of TestVectors/pki/tls and the directory of
/// TestVectors/directory.
struct EngineFixture {
    static let pki = TestVectors.directory.appendingPathComponent("pki/tls")
    /// Inside the validity of the TLS fixtures.
    static let start = ISO8601DateFormatter().date(from: "2026-11-01T00:00:00Z")!

    static let clientV6 = IPAddress("2001:db8:c::7")!
    static let serverV6 = IPAddress("2001:db8:5::1")!
    static let clientV4 = IPAddress("192.0.2.7")!
    static let serverV4 = IPAddress("198.51.100.1")!

    static func identity(_ name: String) throws -> TLSIdentity {
        try TLSIdentity(
            certificatePath: pki.appendingPathComponent("\(name).pem").path,
            keyPath: pki.appendingPathComponent("\(name).key").path)
    }

    static func root() throws -> Certificate {
        try Certificate.load(path: pki.appendingPathComponent("root.pem").path)[0]
    }

    /// A cache holding the fixtures' CRL (client-revoked is on it).
    static func cachedCRL() throws -> CRLCache {
        let cache = CRLCache()
        try cache.insert(
            Array(try #require(FileManager.default.contents(atPath: pki.appendingPathComponent("root.crl").path))),
            source: "root.crl")
        return cache
    }

    static func clientCertificate(
        _ names: [String] = ["client-rsa"], revocation: RevocationMode = .none
    ) throws -> AuthenticationProposal {
        .certificate(
            TLSConfiguration(
                identities: try names.map(identity),
                trust: .directAccessClient(roots: [try root()], revocation: revocation)))
    }

    static func serverCertificate(
        revocation: RevocationMode = .weak, cache: CRLCache? = nil
    ) throws -> AuthenticationProposal {
        .certificate(
            TLSConfiguration(
                identities: [try identity("server-rsa")],
                trust: .directAccessServer(roots: [try root()], revocation: revocation),
                crlCache: try cache ?? cachedCRL()))
    }

    static func directory() throws -> JSONAccountDirectory {
        try JSONAccountDirectory(contentsOf: TestVectors.directory.appendingPathComponent("directory/accounts.json"))
    }

    static func ntlmClient(
        user: String = "CLIENT1$", password: String = "Client1-Machine-Secret"
    ) -> AuthenticationProposal {
        .ntlm(
            initiator: NTLMCredentials(user: user, domain: "CORP", password: password, workstation: "CLIENT1"),
            acceptor: nil)
    }

    static func ntlmServer() throws -> AuthenticationProposal {
        .ntlm(
            initiator: nil,
            acceptor: NTLMAcceptorSetup(
                configuration: NTLMAcceptorConfiguration(
                    netbiosDomainName: "CORP", netbiosComputerName: "DASERVER",
                    dnsDomainName: "corp.contoso.com", dnsComputerName: "daserver.corp.contoso.com"),
                directory: try directory()))
    }

    static func rule(
        _ name: String, local: IPAddress, remote: AddressRange, auth: [AuthenticationProposal],
        mainMode: MainModeCryptoSet = .windowsDefault, quickMode: QuickModeCryptoSet = .windowsDefault
    ) -> ConnectionSecurityRule {
        ConnectionSecurityRule(
            name: name, filterID: 70_000, local: TrafficSelector(AddressRange(local)), remote: TrafficSelector(remote),
            mainModeAuthentication: AuthenticationSet(auth), mainModeCrypto: mainMode, quickModeCrypto: quickMode)
    }

    static func endpoint(
        _ name: String, principal: String, rules: [ConnectionSecurityRule], seed: UInt64,
        settings: EndpointSettings = EndpointSettings(), remoteDirectory: RemoteDirectoryPolicy? = nil
    ) -> Endpoint {
        Endpoint(
            configuration: EndpointConfiguration(
                computerName: name, principalName: principal, rules: rules, settings: settings,
                remoteDirectory: remoteDirectory),
            random: SeededRandomSource(seed: seed), now: start)
    }

    var simulation: Simulation
    let client: Int
    let server: Int
    let clientAddress: IPAddress
    let serverAddress: IPAddress

    /// A client and a server; `ipv4` puts them on IPv4 (NAT-D, 576-byte fragments).
    init(
        clientAuth: [AuthenticationProposal], serverAuth: [AuthenticationProposal], ipv4: Bool = false,
        clientMainMode: MainModeCryptoSet = .windowsDefault, serverMainMode: MainModeCryptoSet = .windowsDefault,
        clientQuickMode: QuickModeCryptoSet = .windowsDefault, serverQuickMode: QuickModeCryptoSet = .windowsDefault,
        serverSettings: EndpointSettings = EndpointSettings(), clientSettings: EndpointSettings = EndpointSettings(),
        serverDirectory: RemoteDirectoryPolicy? = nil, serverAuthorization: AuthorizationPolicy = AuthorizationPolicy(),
        conditions: NetworkConditions = .ideal, seed: UInt64 = 1
    ) {
        clientAddress = ipv4 ? Self.clientV4 : Self.clientV6
        serverAddress = ipv4 ? Self.serverV4 : Self.serverV6
        let any = ipv4 ? AddressRange.allIPv4 : AddressRange.allIPv6
        simulation = Simulation(seed: seed, conditions: conditions, start: Self.start)
        client = simulation.add(
            "CLIENT1",
            Self.endpoint(
                "CLIENT1", principal: "CLIENT1$@DA.TEST",
                rules: [
                    Self.rule(
                        "client", local: clientAddress, remote: AddressRange(serverAddress), auth: clientAuth,
                        mainMode: clientMainMode, quickMode: clientQuickMode)
                ],
                seed: seed &+ 100, settings: clientSettings), addresses: [clientAddress])
        server = simulation.add(
            "DASERVER",
            Self.endpoint(
                "DASERVER", principal: KerberosRealm.service,
                rules: [
                    Self.rule(
                        "server", local: serverAddress, remote: any, auth: serverAuth, mainMode: serverMainMode,
                        quickMode: serverQuickMode)
                ]
                .map { rule in
                    var rule = rule
                    rule.authorization = serverAuthorization
                    return rule
                },
                seed: seed &+ 200, settings: serverSettings, remoteDirectory: serverDirectory),
            addresses: [serverAddress])
    }

    /// The client sends a packet to the server.
    mutating func connect(protocol ipProtocol: UInt8 = 6, port: UInt16 = 445) {
        simulation.inject(
            .acquire(
                TrafficRequest(
                    source: clientAddress, destination: serverAddress, ipProtocol: ipProtocol,
                    destinationPort: port)), into: client)
    }

    mutating func run(seconds: Double = 30) { simulation.run(for: .milliseconds(Int64(seconds * 1000))) }

    var clientNode: SimulatedNode { simulation.nodes[client] }
    var serverNode: SimulatedNode { simulation.nodes[server] }

    /// Both sides hold one MM SA and one QM SA, whose keys match across the sides.
    func expectEstablished(sourceLocation: SourceLocation = #_sourceLocation) {
        for node in [clientNode, serverNode] {
            #expect(
                node.endpoint.database.mainModeCount == 1, "\(node.name) MM SAs; events \(node.eventIDs)",
                sourceLocation: sourceLocation)
            #expect(
                node.endpoint.database.quickModeCount == 1, "\(node.name) QM SAs; events \(node.eventIDs)",
                sourceLocation: sourceLocation)
            #expect(node.installedSACount == 2, "\(node.name) data-plane SAs", sourceLocation: sourceLocation)
        }
        let clientSAs = clientNode.installedSAs.values.flatMap(\.values)
        let serverSAs = serverNode.installedSAs.values.flatMap(\.values)
        for sa in clientSAs {
            let peer = serverSAs.first { $0.spi == sa.spi && $0.direction != sa.direction }
            #expect(peer != nil, "no peer SA for SPI \(sa.spi)", sourceLocation: sourceLocation)
            #expect(
                peer?.encryptionKey == sa.encryptionKey && peer?.integrityKey == sa.integrityKey,
                sourceLocation: sourceLocation)
        }
    }

    /// Nothing left anywhere: no SA, no negotiation, nothing in the data plane.
    func expectNothingLeft(sourceLocation: SourceLocation = #_sourceLocation) {
        for node in [clientNode, serverNode] {
            #expect(
                node.endpoint.database.mainModeCount == 0, "\(node.name) MM SAs left", sourceLocation: sourceLocation)
            #expect(
                node.endpoint.database.quickModeCount == 0, "\(node.name) QM SAs left", sourceLocation: sourceLocation)
            #expect(node.endpoint.sessionCount == 0, "\(node.name) sessions left", sourceLocation: sourceLocation)
            #expect(node.installedSACount == 0, "\(node.name) data-plane SAs left", sourceLocation: sourceLocation)
        }
    }
}

extension SimulatedNode {
    func events(_ id: UInt16) -> [AuditEvent] { events.map(\.event).filter { $0.descriptor.eventID == id } }

    /// The FailureReason text of the first failure event with this ID.
    func failureReason(_ id: UInt16) -> String? {
        events(id).first.flatMap { event in event.eventData.first { $0.name == "FailureReason" }?.value.displayText }
    }

    func field(_ name: String, of id: UInt16) -> String? {
        events(id).first.flatMap { event in event.eventData.first { $0.name == name }?.value.displayText }
    }
}
