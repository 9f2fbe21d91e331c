import AuthIPAccounts
import AuthIPAudit
import AuthIPGSS
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Synchronization
import Testing

@testable import AuthIP

/// The GSS-API payload in MM #1 (MS-AIPS 3.2.4, 3.3.5.1): an initiator that knows the
/// responder's SPN from an SA with it carries its first token in #1, and the responder answers
/// it in #2 in place of GSS_ID.
@Suite("The first token in MM #1")
struct FirstMessageTokenTests {
    /// Settings without fragmentation, so that every message in the trace parses whole.
    static func settings(_ profile: InteropProfile = .standard) -> EndpointSettings {
        var settings = EndpointSettings()
        settings.fragmentMTUIPv6 = 60_000
        settings.interop = profile
        return settings
    }

    /// A client whose Main Mode may carry one Quick Mode after the first, with 5-minute QM SAs:
    /// its second rekey needs a new Main Mode, while the first MM SA (and the SPN its #2
    /// announced) still stands.
    static func fixture(
        clientAuth: [AuthenticationProposal], serverAuth: [AuthenticationProposal],
        client: InteropProfile = .standard, server: InteropProfile = .standard
    ) -> EngineFixture {
        var fixture = EngineFixture(
            clientAuth: clientAuth, serverAuth: serverAuth,
            clientMainMode: MainModeCryptoSet(
                proposals: MainModeCryptoSet.windowsDefault.proposals, quickModeLimit: 1),
            clientQuickMode: QuickModeCryptoSet(
                proposals: QuickModeCryptoSet.windowsDefault.proposals, lifetimeSeconds: 300),
            serverSettings: settings(server), clientSettings: settings(client))
        fixture.simulation.recordsTraffic = true
        return fixture
    }

    /// The clear Main Mode messages of `sender` (exchange 243, E flag clear), parsed.
    static func clearMainMode(_ fixture: EngineFixture, from sender: String) -> [Message] {
        fixture.simulation.trace.filter { $0.sender == sender && $0.bytes[18] == 243 && $0.bytes[19] & 1 == 0 }
            .compactMap { try? Message(parsing: $0.bytes) }
    }

    static func hasGSS(_ message: Message) -> Bool {
        message.payloads.contains { if case .gss = $0 { true } else { false } }
    }
    static func hasGSSIdentity(_ message: Message) -> Bool {
        message.payloads.contains { if case .gssIdentity = $0 { true } else { false } }
    }

    /// The #1s of the client (responder cookie 0) and the #2s of the server, in order.
    static func firstExchanges(_ fixture: EngineFixture) -> (firsts: [Message], seconds: [Message]) {
        let firsts = clearMainMode(fixture, from: "CLIENT1").filter { $0.header.responderCookie == 0 }
        let seconds = clearMainMode(fixture, from: "DASERVER").filter { message in
            message.payloads.contains { if case .securityAssociation = $0 { true } else { false } }
        }
        return (firsts, seconds)
    }

    /// Establishes, then runs through two QM rekeys: the second needs the new Main Mode.
    static func reconnect(_ fixture: inout EngineFixture) {
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        fixture.run(seconds: 600)
    }

    @Test("At its QM limit, a new Main Mode carries a TLS ClientHello in #1 and #2 answers it in place of GSS_ID")
    func certificateReconnect() throws {
        var fixture = Self.fixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        Self.reconnect(&fixture)
        let (firsts, seconds) = Self.firstExchanges(fixture)
        try #require(firsts.count == 2 && seconds.count == 2, "\(fixture.clientNode.eventIDs)")
        // The first Main Mode knew no SPN; the second found it in the first MM SA.
        #expect(!Self.hasGSS(firsts[0]) && Self.hasGSSIdentity(seconds[0]))
        let token = try #require(
            firsts[1].payloads.lazy.compactMap { if case .gss(let p) = $0 { p } else { nil } }.first)
        #expect(token.flags.contains(.newExchange) && token.token.first == 0x16)  // a TLS handshake record
        #expect(Self.hasGSS(seconds[1]) && !Self.hasGSSIdentity(seconds[1]))
        // Both Main Modes are up, and the new one carries the rekeyed Quick Mode.
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.endpoint.database.mainModeCount == 2, "\(node.name): \(node.eventIDs)")
            #expect(node.events(5451).count == 3, "\(node.name): \(node.eventIDs)")
        }
        #expect(fixture.clientNode.events(4653).isEmpty && fixture.serverNode.events(4653).isEmpty)
    }

    @Test("A Kerberos Main Mode's AP-REQ in #1 is answered with the AP-REP in #2: the new MM SA in four messages fewer")
    func kerberosReconnect() throws {
        let realm = try KerberosRealm.shared.get()
        var fixture = Self.fixture(
            clientAuth: [.kerberos(initiator: .cache(realm.cache("cc_alice")), acceptor: nil)],
            serverAuth: [.kerberos(initiator: nil, acceptor: .keytab(realm.serverKeytab))])
        Self.reconnect(&fixture)
        let (firsts, seconds) = Self.firstExchanges(fixture)
        try #require(firsts.count == 2 && seconds.count == 2, "\(fixture.clientNode.eventIDs)")
        #expect(Self.hasGSS(firsts[1]) && Self.hasGSS(seconds[1]) && !Self.hasGSSIdentity(seconds[1]))
        // Kerberos takes one round: the first Main Mode's #3/#4, gone from the second.
        let clearFromClient = Self.clearMainMode(fixture, from: "CLIENT1")
        #expect(clearFromClient.filter { Self.hasGSS($0) }.count == 2, "\(clearFromClient.count) clear messages")
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.endpoint.database.mainModeCount == 2, "\(node.name): \(node.eventIDs)")
            #expect(node.events(5451).count == 3, "\(node.name): \(node.eventIDs)")
        }
    }

    /// The AP-REQ in #1 completes the server's context at once; with a remote directory whose
    /// answers are cached for a second only, #2 waits for the new look-up.
    @Test("#2 waits for the directory's answer on the account the token in #1 authenticated")
    func answerAfterDirectory() throws {
        let realm = try KerberosRealm.shared.get()
        var fixture = EngineFixture(
            clientAuth: [.kerberos(initiator: .cache(realm.cache("cc_alice")), acceptor: nil)],
            serverAuth: [.kerberos(initiator: nil, acceptor: .keytab(realm.serverKeytab))],
            clientMainMode: MainModeCryptoSet(proposals: MainModeCryptoSet.windowsDefault.proposals, quickModeLimit: 1),
            clientQuickMode: QuickModeCryptoSet(
                proposals: QuickModeCryptoSet.windowsDefault.proposals, lifetimeSeconds: 300),
            serverSettings: Self.settings(), clientSettings: Self.settings(),
            serverDirectory: RemoteDirectoryPolicy(cacheLifetime: .seconds(1)))
        fixture.simulation.recordsTraffic = true
        // alice@DA.TEST, enabled; every look-up counted.
        let queries = Mutex(0)
        fixture.simulation.directoryServer = { query in
            queries.withLock { $0 += 1 }
            return .found(
                Account(
                    samAccountName: query.name, domain: query.domain ?? "DA.TEST", kind: .user, isEnabled: true,
                    ntHash: .empty))
        }
        fixture.connect()
        fixture.run()
        try #require(
            fixture.serverNode.endpoint.database.mainModeCount == 1, "\(fixture.serverNode.failureReason(4653) ?? "")")
        fixture.run(seconds: 600)
        let (firsts, seconds) = Self.firstExchanges(fixture)
        try #require(firsts.count == 2 && seconds.count == 2, "\(fixture.serverNode.eventIDs)")
        #expect(Self.hasGSS(firsts[1]) && Self.hasGSS(seconds[1]))
        #expect(queries.withLock { $0 } == 2)
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 2, "\(fixture.serverNode.eventIDs)")
    }

    @Test(
        "A responder that ignores the token answers with GSS_ID, and the initiator starts its rounds over in #3",
        arguments: ["first-message-token-ignored", "no-first-message-token"])
    func variants(_ name: String) throws {
        let profile = try #require(InteropProfile.named(name))
        let serverIgnores = !profile.answersFirstTokenInFirstMessage
        var fixture = Self.fixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            client: serverIgnores ? .standard : profile, server: serverIgnores ? profile : .standard)
        Self.reconnect(&fixture)
        let (firsts, seconds) = Self.firstExchanges(fixture)
        try #require(firsts.count == 2 && seconds.count == 2, "\(fixture.clientNode.eventIDs)")
        #expect(Self.hasGSS(firsts[1]) == serverIgnores)
        #expect(!Self.hasGSS(seconds[1]) && Self.hasGSSIdentity(seconds[1]))
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.endpoint.database.mainModeCount == 2, "\(node.name): \(node.eventIDs)")
            #expect(node.events(5451).count == 3, "\(node.name): \(node.eventIDs)")
        }
    }

    @Test("A token in #1 for a method the responder does not accept is left unanswered: GSS_ID, then that method in #3")
    func tokenForAnotherMethod() throws {
        let realm = try KerberosRealm.shared.get()
        // The client offers Kerberos first, then its certificate; the server takes certificates only.
        var fixture = Self.fixture(
            clientAuth: [
                .kerberos(initiator: .cache(realm.cache("cc_alice")), acceptor: nil),
                try EngineFixture.clientCertificate(),
            ],
            serverAuth: [try EngineFixture.serverCertificate()])
        Self.reconnect(&fixture)
        let (firsts, seconds) = Self.firstExchanges(fixture)
        try #require(firsts.count == 2 && seconds.count == 2, "\(fixture.clientNode.eventIDs)")
        #expect(Self.hasGSS(firsts[1]) && Self.hasGSSIdentity(seconds[1]) && !Self.hasGSS(seconds[1]))
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.endpoint.database.mainModeCount == 2, "\(node.name): \(node.eventIDs)")
        }
    }

    /// An attacker on the path adds a ClientHello to an initiator's #1 that carried none: the
    /// responder answers it in #2, and the initiator, which made no such token, fails the
    /// exchange instead of taking a TLS answer it has no context for.
    @Test("A GSS answer in #2 to a token the initiator never sent fails Main Mode with 4653 INVALID_PAYLOAD")
    func injectedToken() throws {
        var pair = try MachineTests.infrastructurePair()
        let first = try #require(MachinePair.takeSends(&pair.client, into: &pair.clientOutputs).first)
        var message = try Message(parsing: first.bytes)
        #expect(!message.payloads.contains { if case .gss = $0 { true } else { false } })
        let hello = try ResourceExhaustionTests.clientHello()
        let keyExchange = message.payloads.firstIndex { if case .keyExchange = $0 { true } else { false } }
        message.payloads.insert(
            .gss(GSSPayload(token: hello, flags: .newExchange)), at: keyExchange ?? message.payloads.endIndex)
        try pair.deliverToServer(MachinePair.Datagram(bytes: message.serialized(), from: first.from, to: first.to))
        let second = try #require(MachinePair.takeSends(&pair.server, into: &pair.serverOutputs).first)
        #expect(Self.hasGSS(try Message(parsing: second.bytes)))
        try pair.deliverToClient(second)
        // The client tells the server why, in a notify.
        #expect(MachinePair.takeSends(&pair.client, into: &pair.clientOutputs).count == 1)
        #expect(MachinePair.eventIDs(pair.clientOutputs) == [4653])
        #expect(pair.initiatorPhase == "closing" || pair.initiator.isFinished)
        let failure = pair.clientOutputs.lazy.compactMap { output -> AuditEvent? in
            if case .audit(let event) = output { event } else { nil }
        }.first
        #expect(failure?.failureCode == .errorIpsecIkeInvalidPayload)
    }
}
