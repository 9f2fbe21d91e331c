import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPWire
import Foundation
import Testing

/// What an authenticated client may not do with its MM SA: claim another peer's traffic as its
/// own, reach rules whose checks it never passed, open Quick Modes without end, or make the
/// server negotiate toward someone else.
@Suite("Authenticated peers: selectors, authorization, Quick Mode limits, NOTIFY_ACQUIRE")
struct QuickModeAbuseTests {
    /// Another DirectAccess client's 6to4 address.
    static let victim = IPAddress.v6(.sixToFour(IPv4Address("192.0.2.99")!))

    /// The client's rules, with its infrastructure tunnel's first rule taking any source (the
    /// attacker's own configuration).
    static func anySourceRules(_ setup: DirectAccess.Client) -> [ConnectionSecurityRule] {
        var rules = setup.rules
        rules[0].local = TrafficSelector(.allIPv6)
        return rules
    }

    static func connected(
        clientRules: [ConnectionSecurityRule]? = nil, serverRules: [ConnectionSecurityRule]? = nil,
        serverSettings: EndpointSettings = EndpointSettings()
    ) throws -> DirectAccessFixture {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory,
            clientRules: clientRules, serverRules: serverRules, serverSettings: serverSettings)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run(seconds: 30)
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 1)
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 1)
        return fixture
    }

    @Test("A client that proposes another client's address as its own is refused: 4654 NO_POLICY, no SA for it")
    func anotherClientsAddress() throws {
        var fixture = try Self.connected(clientRules: Self.anySourceRules(try DirectAccessFixture.clientSetup()))
        fixture.simulation.inject(
            .acquire(
                TrafficRequest(
                    source: Self.victim, destination: DirectAccessFixture.dns.first,
                    ipProtocol: 17, destinationPort: 53)), into: fixture.client)
        fixture.run(seconds: 10)
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 1)
        #expect(
            fixture.serverNode.endpoint.database.quickModes().allSatisfy {
                $0.remoteSelector.addresses == AddressRange(DirectAccessFixture.clientAddress)
            })
        #expect(fixture.serverNode.failureReason(4654) == WindowsError.errorIpsecIkeNoPolicy.text)
    }

    @Test("A Quick Mode whose initiator side is ::/0 is refused: 4654 NO_POLICY")
    func everyAddress() throws {
        var fixture = try Self.connected()
        fixture.simulation.interceptor = { datagram, keys in
            guard datagram.sender == "CLIENT1" else { return datagram.bytes }
            return HostilePeerTests.rewrite(datagram, keys: keys) { payloads in
                guard let index = payloads.firstIndex(where: { $0.type == .identification }),
                    payloads.contains(where: { $0.type == .securityAssociation })
                else { return false }
                payloads[index] = .identification(TrafficSelector(.allIPv6).payload)
                return true
            }
        }
        fixture.reach(DirectAccessFixture.domainController.first, port: 389)
        fixture.run(seconds: 10)
        #expect(fixture.serverNode.failureReason(4654) == WindowsError.errorIpsecIkeNoPolicy.text)
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 1)
    }

    @Test("A later Quick Mode may not reach a rule whose authorization the MM SA never passed: 4654 NO_POLICY")
    func ruleOfAnotherAuthorization() throws {
        let directory = try DirectAccessFixture.directory()
        let serverSetup = try DirectAccessFixture.serverSetup(directory: directory)
        let finance = AddressRange(IPAddress("2001:db8:7::")!, prefixLength: 48)
        // On the infrastructure tunnel's endpoint, a prefix that needs the user's Kerberos
        // ticket and the Finance group.
        var financeRule = serverSetup.rules[0]
        financeRule.name = "Finance over the infrastructure endpoint"
        financeRule.local = TrafficSelector(finance)
        financeRule.extendedMode = ExtendedModePolicy(
            authentication: AuthenticationSet([.kerberos(initiator: nil, acceptor: serverSetup.keytab)]))
        financeRule.authorization = AuthorizationPolicy(requiredUserGroup: "Finance")
        // The attacker's client sends finance traffic over its infrastructure MM SA.
        let clientSetup = try DirectAccessFixture.clientSetup()
        var clientRules = clientSetup.rules
        var toFinance = clientRules[0]
        toFinance.name = "rogue finance"
        toFinance.remote = TrafficSelector(finance)
        clientRules.append(toFinance)
        var fixture = try Self.connected(clientRules: clientRules, serverRules: serverSetup.rules + [financeRule])
        fixture.reach(IPAddress("2001:db8:7::1")!)
        fixture.run(seconds: 10)
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 1)
        #expect(fixture.serverNode.failureReason(4654) == WindowsError.errorIpsecIkeNoPolicy.text)
        #expect(
            fixture.serverNode.endpoint.database.quickModes().allSatisfy {
                !finance.contains($0.localSelector.addresses)
            })
    }

    /// The client's rules with the intranet rule's remote side any address, so that each
    /// destination gets a Quick Mode of its own.
    static func perDestinationRules(_ setup: DirectAccess.Client) -> [ConnectionSecurityRule] {
        setup.rules.map { rule in
            var rule = rule
            if rule.name.contains("ClientToCorp") { rule.remote = TrafficSelector(.allIPv6) }
            return rule
        }
    }

    /// Client and server with a Quick Mode per intranet destination, and the server's limits changed.
    static func perDestination(_ limit: (inout EndpointSettings) -> Void) throws -> DirectAccessFixture {
        var settings = EndpointSettings()
        limit(&settings)
        let directory = try DirectAccessFixture.directory()
        let clientSetup = try DirectAccessFixture.clientSetup()
        return DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory), client: clientSetup,
            directory: directory, clientRules: Self.perDestinationRules(clientSetup), serverSettings: settings)
    }

    /// The client reaches intranet hosts ::1 through ::`count` one after the other.
    static func reachOneByOne(_ fixture: inout DirectAccessFixture, _ count: Int) {
        for host in 1...count {
            fixture.reach(IPAddress("2001:db8:1::\(host)")!)
            fixture.run(seconds: 5)
        }
    }

    @Test("QM SAs per MM SA are capped: past the limit, 4654 ERROR_IPSEC_IKE_QM_LIMIT")
    func quickModeSAsPerMainMode() throws {
        var fixture = try Self.perDestination { $0.maximumQuickModeSAsPerMainMode = 4 }
        Self.reachOneByOne(&fixture, 10)
        let intranet = fixture.serverNode.endpoint.database.mainModes().first {
            $0.local.ip == fixture.serverSetup.intranetTunnelEndpoint
        }
        let id = try #require(intranet?.id, "events \(fixture.serverNode.eventIDs)")
        #expect(fixture.serverNode.endpoint.database.quickModes(mainModeID: id).count == 4)
        #expect(fixture.serverNode.failureReason(4654) == WindowsError.errorIpsecIkeQmLimit.text)
    }

    @Test("Quick Modes in progress per MM SA are capped: a burst past it is refused with QM_LIMIT")
    func quickModesInProgress() throws {
        var fixture = try Self.perDestination { $0.maximumQuickModeNegotiationsPerMainMode = 3 }
        fixture.reach(IPAddress("2001:db8:1::1")!)
        fixture.run(seconds: 10)
        for host in 2...21 { fixture.reach(IPAddress("2001:db8:1::\(host)")!) }
        fixture.run(seconds: 10)
        let refused = fixture.serverNode.events(4654).filter { event in
            event.eventData.first { $0.name == "FailureReason" }?.value.displayText
                == WindowsError.errorIpsecIkeQmLimit.text
        }
        #expect(refused.count >= 17 - 3, "refused \(refused.count)")
        #expect(fixture.serverNode.endpoint.database.quickModeCount <= 1 + 3 + 3)
    }

    @Test("QM SAs on the whole endpoint are capped")
    func quickModeSAsOnTheEndpoint() throws {
        var fixture = try Self.perDestination { $0.maximumQuickModeSAs = 3 }
        Self.reachOneByOne(&fixture, 6)
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 3)
        #expect(fixture.serverNode.failureReason(4654) == WindowsError.errorIpsecIkeQmLimit.text)
    }

    @Test("NOTIFY_ACQUIRE for traffic that is not the peer's own starts nothing, toward nobody")
    func foreignAcquire() throws {
        var fixture = try EdgeAbuseTests.establishedFixture()
        let record = try #require(fixture.serverNode.endpoint.database.mainModes().first)
        let protection = try #require(fixture.clientNode.endpoint.sessionProtections[record.cookies])
        let elsewhere = IPAddress("2001:db8:66::1")!
        var random = SeededRandomSource(seed: 9)
        func acquire(peerSide: IPAddress, sequence: UInt32) throws -> [UInt8] {
            try protection.seal(
                header: ISAKMPHeader(
                    initiatorCookie: record.cookies.initiator, responderCookie: record.cookies.responder,
                    exchangeType: .notify, flags: .encrypted, messageID: 0x5151_0000 + sequence),
                sequenceNumber: 100 + sequence,
                payloads: [
                    .notify(.acquire(encapsulationMode: 1, flags: 0)),
                    .identification(TrafficSelector(AddressRange(peerSide)).payload),
                    .identification(TrafficSelector(AddressRange(fixture.serverAddress)).payload),
                ], random: &random)
        }
        let sentBefore = fixture.simulation.trace.count
        fixture.simulation.inject(
            .datagram(try acquire(peerSide: elsewhere, sequence: 1), from: record.remote, to: record.local),
            into: fixture.server)
        fixture.run(seconds: 10)
        let sent = fixture.simulation.trace[sentBefore...].filter { $0.sender == "DASERVER" }
        #expect(!sent.contains { $0.to.ip == elsewhere }, "the server negotiated toward an address the peer named")
        #expect(fixture.serverNode.endpoint.sessionCount == 1)
        // For the peer's own traffic the server takes it, on the same MM SA.
        fixture.simulation.inject(
            .removeQuickModeSA(id: try #require(fixture.serverNode.endpoint.database.quickModes().first).id),
            into: fixture.server)
        fixture.run(seconds: 5)
        fixture.simulation.inject(
            .datagram(try acquire(peerSide: fixture.clientAddress, sequence: 2), from: record.remote, to: record.local),
            into: fixture.server)
        fixture.run(seconds: 10)
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 1)
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 1)
    }
}
