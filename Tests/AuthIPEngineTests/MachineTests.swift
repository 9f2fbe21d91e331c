import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

@testable import AuthIP

/// Two Main Mode machines, each with its own context, with nothing between them but the
/// datagrams they send: no `Endpoint`, no session table, no simulated network. Each delivery
/// records the phase both machines are in afterwards.
struct MachinePair {
    var client: EndpointContext
    var server: EndpointContext
    var initiator: MainModeMachine
    var responder: MainModeMachine?
    let serverRuleIndex: Int
    /// What each side asked its driver to do, in order.
    var clientOutputs: [EndpointOutput] = []
    var serverOutputs: [EndpointOutput] = []
    /// The phases each machine went through, without repeats.
    var initiatorPhases: [String] = []
    var responderPhases: [String] = []

    /// The client starts a Main Mode for `traffic`: its #1 is out.
    init(
        clientRules: [ConnectionSecurityRule], serverRules: [ConnectionSecurityRule], directory: JSONAccountDirectory,
        traffic: TrafficRequest, knownPeerName: String? = nil
    ) throws {
        var settings = EndpointSettings()
        // Whole messages only: reassembly belongs to the endpoint, not to a machine.
        settings.fragmentMTUIPv4 = 60_000
        settings.fragmentMTUIPv6 = 60_000
        client = EndpointContext(
            configuration: EndpointConfiguration(
                computerName: "CLIENT1", principalName: "CLIENT1$@DA.TEST", rules: clientRules, settings: settings),
            random: EngineRandom(base: SeededRandomSource(seed: 101)), now: EngineFixture.start)
        server = EndpointContext(
            configuration: EndpointConfiguration(
                computerName: "DASERVER", principalName: KerberosRealm.service, rules: serverRules,
                settings: settings, directory: directory),
            random: EngineRandom(base: SeededRandomSource(seed: 201)), now: EngineFixture.start)
        let ruleIndex = try #require(
            clientRules.firstIndex {
                $0.local.matches(traffic.source, ipProtocol: traffic.ipProtocol, port: traffic.sourcePort)
                    && $0.remote.matches(
                        traffic.destination, ipProtocol: traffic.ipProtocol, port: traffic.destinationPort)
            })
        let rule = clientRules[ruleIndex]
        let peer = try #require(rule.mainModePeer(for: traffic.destination))
        let local = EndpointAddress(rule.mainModeLocal(for: traffic.source), port: 500)
        let remote = EndpointAddress(peer, port: 500)
        serverRuleIndex = try #require(serverRules.firstIndex { $0.matchesMainMode(local: peer, remote: local.ip) })
        initiator = try #require(
            MainModeMachine.initiating(
                ruleIndex: ruleIndex, local: local, remote: remote, traffic: traffic, knownPeerName: knownPeerName,
                &client))
        note()
    }

    var initiatorPhase: String { Self.name(initiator.phase) }
    var responderPhase: String? { responder.map { Self.name($0.phase) } }

    /// Delivers every datagram either side has sent, until neither sends any more.
    mutating func run(limit: Int = 64) throws {
        for _ in 0..<limit {
            let toServer = Self.takeSends(&client, into: &clientOutputs)
            let toClient = Self.takeSends(&server, into: &serverOutputs)
            if toServer.isEmpty && toClient.isEmpty { return }
            for datagram in toServer { try deliverToServer(datagram) }
            for datagram in toClient { try deliverToClient(datagram) }
        }
        Issue.record("the machines were still talking after \(limit) rounds")
    }

    mutating func deliverToServer(_ datagram: Datagram) throws {
        let message = try Message(parsing: datagram.bytes)
        if var machine = responder {
            if let inbound = machine.open(message, raw: datagram.bytes, from: datagram.from, to: datagram.to, &server) {
                machine.dispatch(inbound, &server)
            }
            responder = machine
        } else {
            let crypto = try #require(message.crypto)
            let inbound = Inbound(
                header: message.header, sequence: crypto.sequenceNumber, payloads: message.clearPayloads,
                chain: Array(datagram.bytes[(ISAKMPHeader.size + crypto.headerLength)...]),
                from: datagram.from, to: datagram.to, digest: DatagramDigest(datagram.bytes))
            let cookies = CookiePair(initiator: message.header.initiatorCookie, responder: server.randomCookie())
            responder = MainModeMachine.answering(inbound, cookies: cookies, ruleIndex: serverRuleIndex, &server)
        }
        note()
    }

    mutating func deliverToClient(_ datagram: Datagram) throws {
        let message = try Message(parsing: datagram.bytes)
        if let inbound = initiator.open(message, raw: datagram.bytes, from: datagram.from, to: datagram.to, &client) {
            initiator.dispatch(inbound, &client)
        }
        note()
    }

    private mutating func note() {
        if initiatorPhases.last != initiatorPhase { initiatorPhases.append(initiatorPhase) }
        if let phase = responderPhase, responderPhases.last != phase { responderPhases.append(phase) }
    }

    struct Datagram {
        var bytes: [UInt8]
        var from: EndpointAddress
        var to: EndpointAddress
    }

    /// Moves a context's outputs into `log`, returning its datagrams.
    static func takeSends(_ context: inout EndpointContext, into log: inout [EndpointOutput]) -> [Datagram] {
        let outputs = context.outputs
        context.outputs = []
        log += outputs
        return outputs.compactMap { output in
            if case .send(let bytes, let from, let to) = output { return Datagram(bytes: bytes, from: from, to: to) }
            return nil
        }
    }

    /// A phase by name, with its Extended Mode state.
    static func name(_ phase: MainModePhase) -> String {
        switch phase {
        case .offered: return "offered"
        case .authenticating: return "authenticating"
        case .keyed: return "keyed"
        case .extendedMode(_, let em):
            switch em.state {
            case .awaitingQuickMode: return "extendedMode.awaitingQuickMode"
            case .awaitingMethods: return "extendedMode.awaitingMethods"
            case .authenticating: return "extendedMode.authenticating"
            case .finalSent: return "extendedMode.finalSent"
            }
        case .established: return "established"
        case .closing: return "closing"
        }
    }

    static func eventIDs(_ outputs: [EndpointOutput]) -> [UInt16] {
        outputs.compactMap { if case .audit(let event) = $0 { return event.descriptor.eventID } else { return nil } }
    }

    static func installed(_ outputs: [EndpointOutput]) -> [IPsecSA] {
        outputs.compactMap { if case .installSA(let sa) = $0 { return sa } else { return nil } }
    }

    /// A Quick Mode message as the machines take it, handed across without a datagram.
    static func quickModeInbound(
        _ payloads: [Payload], messageID: UInt32, from: EndpointAddress, to: EndpointAddress
    ) -> Inbound {
        Inbound(
            header: ISAKMPHeader(
                initiatorCookie: 1, responderCookie: 2, exchangeType: .quickMode, messageID: messageID),
            sequence: 0, payloads: payloads, chain: [], from: from, to: to,
            digest: DatagramDigest(payloads.map(\.type.rawValue) + messageID.bigEndianBytes))
    }

    /// The client's Quick Mode toward the domain controller on the established pair: its
    /// machine, and its offer as the server takes it.
    mutating func offerQuickMode(messageID: UInt32) throws -> (QuickModeMachine, Inbound) {
        let parent = try #require(initiator.quickModeParent)
        let (offered, offer) = try #require(
            QuickModeMachine.offer(
                local: TrafficSelector(AddressRange(DirectAccessFixture.clientAddress)),
                remote: TrafficSelector(AddressRange(DirectAccessFixture.domainController.first)),
                messageID: messageID, exchangeType: .quickMode, ruleIndex: initiator.ruleIndex, parent: parent,
                &client))
        return (offered, Self.quickModeInbound(offer, messageID: messageID, from: parent.local, to: parent.remote))
    }

    /// The server's answer to a Quick Mode offer: its machine and payloads.
    mutating func answerQuickMode(_ request: Inbound) throws -> (QuickModeMachine, [Payload])? {
        let parent = try #require(responder?.quickModeParent)
        let ids = request.identifications
        let rule = try #require(
            responder?.quickModeRule(identifications: ids, mm: parent.mainMode, authorizedRule: nil, server))
        let answered = QuickModeMachine.answering(
            request, offer: try #require(request.securityAssociation), nonce: request.nonces[0].data,
            ids: (ids[0], ids[1]),
            selectors: (try #require(TrafficSelector(ids[1])), try #require(TrafficSelector(ids[0]))),
            exchangeType: .quickMode, ruleIndex: rule, parent: parent, &server)
        guard case .success(let result) = answered else { return nil }
        return result
    }
}

@Suite("Exchange machines driven alone, without an Endpoint", .serialized)
struct MachineTests {
    static let dns = DirectAccessFixture.dns.first

    static func infrastructurePair(computerPassword: String = "Client1-Machine-Secret") throws -> MachinePair {
        let directory = try DirectAccessFixture.directory()
        let server = try DirectAccessFixture.serverSetup(directory: directory)
        let client = try DirectAccessFixture.clientSetup(computerPassword: computerPassword)
        return try MachinePair(
            clientRules: client.rules, serverRules: server.rules, directory: directory,
            traffic: TrafficRequest(
                source: DirectAccessFixture.clientAddress, destination: dns, ipProtocol: 17, destinationPort: 53))
    }

    @Test("Main Mode, the first Quick Mode and Extended Mode: every phase in order on both machines, and matching SAs")
    func infrastructureTunnel() throws {
        var pair = try Self.infrastructurePair()
        #expect(pair.initiatorPhase == "offered")
        try pair.run()
        // The responder derives its keys and checks Auth1 on the same message (#5).
        #expect(
            pair.responderPhases == [
                "authenticating", "extendedMode.awaitingQuickMode", "extendedMode.awaitingMethods",
                "extendedMode.authenticating", "established",
            ])
        #expect(
            pair.initiatorPhases == [
                "offered", "authenticating", "keyed", "extendedMode.awaitingQuickMode",
                "extendedMode.authenticating", "extendedMode.finalSent", "established",
            ])
        #expect(pair.client.database.mainModeCount == 1 && pair.client.database.quickModeCount == 1)
        #expect(pair.server.database.mainModeCount == 1 && pair.server.database.quickModeCount == 1)
        #expect(pair.initiator.quickModes.isEmpty && pair.responder?.quickModes.isEmpty == true)
        #expect(MachinePair.eventIDs(pair.serverOutputs) == [4981, 5451])
        let clientSAs = MachinePair.installed(pair.clientOutputs)
        let serverSAs = MachinePair.installed(pair.serverOutputs)
        #expect(clientSAs.count == 2 && serverSAs.count == 2)
        for sa in clientSAs {
            let twin = serverSAs.first { $0.spi == sa.spi && $0.direction != sa.direction }
            #expect(twin?.encryptionKey == sa.encryptionKey && twin?.integrityKey == sa.integrityKey)
        }
        guard case .established(_, let establishment)? = pair.responder?.phase else { return }
        #expect(establishment.extendedModeBinding != nil)
    }

    @Test(
        "Quick Mode machine: a second Quick Mode on the established MM SA waits answered for synchronize, then keys its SA"
    )
    func secondQuickMode() throws {
        var pair = try Self.infrastructurePair()
        try pair.run()
        let traffic = TrafficRequest(
            source: DirectAccessFixture.clientAddress, destination: DirectAccessFixture.domainController.first,
            ipProtocol: 6, destinationPort: 389)
        let ruleIndex = pair.initiator.ruleIndex
        pair.initiator.startQuickMode(traffic: traffic, ruleIndex: ruleIndex, &pair.client)
        let offer = MachinePair.takeSends(&pair.client, into: &pair.clientOutputs)
        #expect(offer.count == 1)
        guard case .offered? = pair.initiator.quickModes.values.first?.state else {
            Issue.record("the initiator's Quick Mode is not offered")
            return
        }
        for datagram in offer { try pair.deliverToServer(datagram) }
        let answered = pair.responder?.quickModes.values.first
        guard case .answered? = answered?.state, answered?.exchangeType == .quickMode else {
            Issue.record("the responder's Quick Mode is not waiting for synchronize")
            return
        }
        #expect(pair.server.reservedSPIs.contains(answered!.reservedSPI))
        try pair.run()
        #expect(pair.initiator.quickModes.isEmpty && pair.responder?.quickModes.isEmpty == true)
        #expect(pair.server.reservedSPIs.isEmpty && pair.client.reservedSPIs.isEmpty)
        #expect(pair.server.database.quickModeCount == 2 && pair.client.database.quickModeCount == 2)
        #expect(pair.initiator.quickModeSAs.count == 2 && pair.responder?.quickModeSAs.count == 2)
    }

    /// A Quick Mode between the two established machines' parents, with no Main Mode message
    /// in between: the offer, the answer and its acceptance handed across as payloads.
    @Test(
        "Quick Mode machine alone: offer, answer and accept agree on SPIs and keys; an answer outside the offer is rejected"
    )
    func quickModeMachineAlone() throws {
        var pair = try Self.infrastructurePair()
        try pair.run()
        let clientParent = try #require(pair.initiator.quickModeParent)
        let serverParent = try #require(pair.responder?.quickModeParent)
        let messageID: UInt32 = 0x5151
        func inbound(_ payloads: [Payload], from: EndpointAddress, to: EndpointAddress) -> Inbound {
            MachinePair.quickModeInbound(payloads, messageID: messageID, from: from, to: to)
        }
        let (offered, request) = try pair.offerQuickMode(messageID: messageID)
        guard let (responder, answer) = try pair.answerQuickMode(request),
            case .answered(let responderAgreement) = responder.state
        else {
            Issue.record("the responder did not answer")
            return
        }
        // An answer whose IDs leave the offered selectors.
        var outside = offered
        let foreign = TrafficSelector(AddressRange(IPAddress("2001:db8:99::1")!)).payload
        let stray = answer.map { payload -> Payload in
            if case .identification = payload { return .identification(foreign) } else { return payload }
        }
        guard
            case .failure(let rejection) = outside.accept(
                inbound(stray, from: serverParent.local, to: serverParent.remote), parent: clientParent, &pair.client)
        else {
            Issue.record("an answer outside the offered selectors was accepted")
            return
        }
        #expect(rejection.error == .local(.errorIpsecIkeProcessErrSa) && rejection.notifyPeer)

        var initiator = offered
        guard
            case .success(let agreement) = initiator.accept(
                inbound(answer, from: serverParent.local, to: serverParent.remote), parent: clientParent, &pair.client),
            case .synchronizing = initiator.state
        else {
            Issue.record("the initiator did not accept the answer")
            return
        }
        #expect(
            agreement.outboundSPI == responderAgreement.inboundSPI
                && agreement.inboundSPI == responderAgreement.outboundSPI)
        for direction in [IPsecSA.Direction.inbound, .outbound] {
            let mine = initiator.ipsecSA(agreement, direction: direction, parent: clientParent, pair.client)
            let theirs = responder.ipsecSA(
                responderAgreement, direction: direction == .inbound ? .outbound : .inbound, parent: serverParent,
                pair.server)
            #expect(
                mine.spi == theirs.spi && mine.encryptionKey == theirs.encryptionKey
                    && mine.integrityKey == theirs.integrityKey)
        }
        let record = initiator.record(agreement, mainModeID: pair.initiator.id, parent: clientParent, pair.client)
        #expect(
            record.localSelector == TrafficSelector(AddressRange(DirectAccessFixture.clientAddress))
                && record.remoteSelector == TrafficSelector(AddressRange(DirectAccessFixture.domainController.first))
                && record.inboundSPI == agreement.inboundSPI)
    }

    /// The responder's Extended Mode machine judges the initiator's #11, opened but not
    /// dispatched, and the initiator's judges the Auth4 that comes of it.
    @Test(
        "Extended Mode machine alone: Auth3 and Auth4 check on both sides; a forged proof, explicit credentials and a missing authorization are refused"
    )
    func extendedModeMachineAlone() throws {
        var pair = try Self.infrastructurePair()
        var final: [MachinePair.Datagram] = []
        for _ in 0..<64 {
            let toServer = MachinePair.takeSends(&pair.client, into: &pair.clientOutputs)
            if pair.initiatorPhase == "extendedMode.finalSent" {
                final = toServer
                break
            }
            let toClient = MachinePair.takeSends(&pair.server, into: &pair.serverOutputs)
            for datagram in toServer { try pair.deliverToServer(datagram) }
            for datagram in toClient { try pair.deliverToClient(datagram) }
        }
        let datagram = try #require(final.first, "the initiator sent #11")
        var responder = try #require(pair.responder)
        let inbound = try #require(
            responder.open(
                try Message(parsing: datagram.bytes), raw: datagram.bytes, from: datagram.from, to: datagram.to,
                &pair.server))
        guard case .extendedMode(let mm, let em) = responder.phase, case .authenticating(_, let gss) = em.state,
            case .extendedMode(let initiatorMM, let initiatorEM) = pair.initiator.phase
        else {
            Issue.record("the machines are not where #11 is judged")
            return
        }
        let policy = pair.server.rules[em.ruleIndex].extendedMode
        let principal = pair.server.configuration.principalName
        guard
            case .success(let (proof, auth4)) = ExtendedModeMachine.checkFinal(
                inbound.hash, gss: gss, mm: mm, policy: policy, principalName: principal)
        else {
            Issue.record("the genuine Auth3 was refused")
            return
        }
        #expect(proof.remoteIdentity == "CORP\\CLIENT1$" && proof.localIdentity == principal)
        #expect(initiatorEM.acceptsFinal(HashPayload(data: auth4), mm: initiatorMM))
        #expect(initiatorEM.binding?.skeyidEM == proof.binding.skeyidEM)
        var forgedAuth4 = auth4
        forgedAuth4[0] ^= 1
        #expect(!initiatorEM.acceptsFinal(HashPayload(data: forgedAuth4), mm: initiatorMM))

        var forgedAuth3 = try #require(inbound.hash).data
        forgedAuth3[0] ^= 1
        func refusal(_ hash: HashPayload?, _ gss: GSSNegotiation) -> WindowsError? {
            if case .failure(let code) = ExtendedModeMachine.checkFinal(
                hash, gss: gss, mm: mm, policy: policy, principalName: principal)
            {
                return code
            }
            return nil
        }
        #expect(refusal(HashPayload(data: forgedAuth3), gss) == .errorIpsecIkeInvalidHash)
        #expect(refusal(nil, gss) == .errorIpsecIkeInvalidPayload)
        var explicit = gss
        explicit.peerFlags.insert(.explicitCredentials)
        #expect(refusal(inbound.hash, explicit) == .errorIpsecIkeAuthorizationFailure)
        // A context changed after its authorization has none.
        var restarted = gss
        restarted.context = gss.context
        #expect(restarted.authorization == nil)
        #expect(refusal(inbound.hash, restarted) == .errorIpsecIkeInvalidPayload)

        #expect(
            ExtendedModeMachine.acceptedMethods([.anonymous, .kerberos, .ntlm, .ntlm], policy: try #require(policy))
                == [.ntlm])
        #expect(ExtendedModeMachine.responderChoice([.ntlm], offered: [.kerberos, .ntlm]) == [.ntlm])
        #expect(ExtendedModeMachine.responderChoice([.kerberos, .tls], offered: [.kerberos]) == nil)
        #expect(ExtendedModeMachine.responderChoice([], offered: [.kerberos]) == nil)
        pair.responder = responder
    }

    @Test("Closing an initiator that sent #11 (shutdown) frees the first Quick Mode's SPI and removes its inbound SA")
    func closeDuringExtendedMode() throws {
        var pair = try Self.infrastructurePair()
        for _ in 0..<64 where pair.initiatorPhase != "extendedMode.finalSent" {
            let toServer = MachinePair.takeSends(&pair.client, into: &pair.clientOutputs)
            let toClient = MachinePair.takeSends(&pair.server, into: &pair.serverOutputs)
            for datagram in toServer { try pair.deliverToServer(datagram) }
            for datagram in toClient { try pair.deliverToClient(datagram) }
        }
        #expect(pair.initiatorPhase == "extendedMode.finalSent")
        _ = MachinePair.takeSends(&pair.client, into: &pair.clientOutputs)
        let inbound = try #require(MachinePair.installed(pair.clientOutputs).first { $0.direction == .inbound })
        #expect(pair.client.reservedSPIs == [inbound.spi])
        pair.initiator.close(&pair.client)
        #expect(pair.client.reservedSPIs.isEmpty)
        let removed = pair.client.outputs.compactMap { output -> UInt32? in
            if case .removeSA(let spi, .inbound, _) = output { return spi } else { return nil }
        }
        #expect(removed == [inbound.spi])
        #expect(pair.initiatorPhase == "closing")
    }

    @Test(
        "Extended Mode machine: a wrong computer password fails NTLM; the responder reports 4984 and never establishes")
    func extendedModeFailure() throws {
        var pair = try Self.infrastructurePair(computerPassword: "Wrong-Secret")
        try pair.run()
        #expect(!pair.responderPhases.contains("established") && !pair.initiatorPhases.contains("established"))
        #expect(pair.responderPhases.contains("extendedMode.authenticating"))
        #expect(pair.server.database.mainModeCount == 0 && pair.server.database.quickModeCount == 0)
        #expect(MachinePair.eventIDs(pair.serverOutputs) == [4984])
        #expect(MachinePair.installed(pair.serverOutputs).isEmpty)
    }

    @Test(
        "A responder waiting for Extended Mode drops a tampered message with 4978, its state unmoved; the genuine one goes on"
    )
    func tamperedExtendedMode() throws {
        var pair = try Self.infrastructurePair()
        var tampered = false
        for _ in 0..<64 {
            let toServer = MachinePair.takeSends(&pair.client, into: &pair.clientOutputs)
            let toClient = MachinePair.takeSends(&pair.server, into: &pair.serverOutputs)
            if toServer.isEmpty && toClient.isEmpty { break }
            for datagram in toServer {
                if !tampered, pair.responderPhase == "extendedMode.awaitingMethods" {
                    tampered = true
                    var forged = datagram
                    forged.bytes[forged.bytes.count - 2] ^= 0x40
                    let before = MachinePair.eventIDs(pair.server.outputs).count
                    try pair.deliverToServer(forged)
                    #expect(MachinePair.eventIDs(pair.server.outputs).dropFirst(before) == [4978])
                    #expect(pair.responderPhase == "extendedMode.awaitingMethods")
                }
                try pair.deliverToServer(datagram)
            }
            for datagram in toClient { try pair.deliverToClient(datagram) }
        }
        #expect(tampered)
        #expect(pair.responderPhase == "established" && pair.initiatorPhase == "established")
        #expect(pair.server.database.mainModeCount == 1 && pair.server.database.quickModeCount == 1)
    }

    @Test(
        "A responder that accepts none of the offered methods has no machine, and reports 4653 with the auth payload error"
    )
    func refusal() throws {
        let directory = try DirectAccessFixture.directory()
        let server = try DirectAccessFixture.serverSetup(directory: directory)
        let client = try DirectAccessFixture.clientSetup()
        // The server's rules with Main Mode by Kerberos only: the client offers certificates.
        let serverRules = server.rules.map { rule in
            var rule = rule
            rule.mainModeAuthentication = AuthenticationSet([.kerberos(initiator: nil, acceptor: nil)])
            return rule
        }
        var pair = try MachinePair(
            clientRules: client.rules, serverRules: serverRules, directory: directory,
            traffic: TrafficRequest(
                source: DirectAccessFixture.clientAddress, destination: Self.dns,
                ipProtocol: 17, destinationPort: 53))
        let first = try #require(MachinePair.takeSends(&pair.client, into: &pair.clientOutputs).first)
        try pair.deliverToServer(first)
        #expect(pair.responder == nil)
        let failures = pair.server.outputs.compactMap { output -> AuditEvent? in
            if case .audit(let event) = output, event.descriptor.eventID == 4653 { return event }
            return nil
        }
        #expect(failures.count == 1)
        #expect(pair.server.database.mainModeCount == 0)
    }
}
