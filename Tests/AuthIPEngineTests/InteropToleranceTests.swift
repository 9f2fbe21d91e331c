import AuthIPAudit
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPWire
import Testing

@testable import AuthIP

/// What a Windows peer may send differently, sent at our engine (Docs/InteropProfile.md,
/// "Tolerated variants"). The variants that a whole endpoint sends are in the interop matrix
/// (`authip interop matrix`); these are the ones it cannot show.
@Suite("Interop tolerances")
struct InteropToleranceTests {
    /// The SA payloads of the responder's #2 (exchange 243) and of its first Quick Mode answer.
    static func answeredTransforms(_ fixture: EngineFixture) throws -> [(proposal: UInt8, transform: UInt8)] {
        let clear = try #require(
            fixture.simulation.trace.first { $0.sender == "DASERVER" && $0.bytes[19] & 1 == 0 && $0.bytes[18] == 243 })
        let message = try Message(parsing: clear.bytes)
        return message.payloads.compactMap { payload in
            guard case .securityAssociation(let sa) = payload, let proposal = sa.proposals.first,
                let transform = proposal.transforms.first
            else { return nil }
            return (proposal.number, transform.number)
        }
    }

    @Test("The responder answers with the chosen transform's own number, not renumbered to 1")
    func transformNumberKept() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverMainMode: MainModeCryptoSet(proposals: [
                MainModeProposal(cipher: .aes128, hash: .sha1, group: .modp2048)
            ]))
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        // The client offered AES-256/SHA-256 as transform 1 and AES-128/SHA-1 as transform 2.
        let answered = try Self.answeredTransforms(fixture)
        #expect(answered.count == 1 && answered[0].transform == 2, "\(answered)")
    }

    @Test("A Quick Mode answer keeps the chosen ESP proposal's and transform's numbers")
    func quickModeTransformNumberKept() throws {
        var offered = QuickModeProposals.payload(
            for: .windowsDefault, spi: 0x1234_5678, encapsulationMode: EncapsulationMode.tunnel)
        offered.proposals[0].number = 3
        let offers = QuickModeProposals.offers(in: offered)
        let chosen = try #require(
            QuickModeProposals.choose(
                from: offers,
                set: QuickModeCryptoSet(proposals: [QuickModeProposal(cipher: .aes128, integrity: .sha1)]),
                encapsulationMode: EncapsulationMode.tunnel))
        let answer = QuickModeProposals.answer(chosen, spi: 0x9ABC_DEF0)
        #expect(answer.proposals.map(\.number) == [3])
        #expect(answer.proposals.first?.transforms.map(\.number) == [3])
        #expect(answer.proposals.first?.spi == [0x9A, 0xBC, 0xDE, 0xF0])
    }
}

/// Key Dictation (MS-AIPS 2.2.3.7/2.2.3.8) is not implemented: a Quick Mode whose peer
/// dictates keys fails on either side instead of running on keys that differ.
@Suite("Key Dictation")
struct KeyDictationTests {
    @Test("A Quick Mode answer carrying Key Dictation is rejected with ERROR_IPSEC_IKE_INVALID_PAYLOAD, the peer told")
    func answerDictatingKeys() throws {
        var pair = try MachineTests.infrastructurePair()
        try pair.run()
        let clientParent = try #require(pair.initiator.quickModeParent)
        let serverParent = try #require(pair.responder?.quickModeParent)
        let messageID: UInt32 = 0x7171
        func inbound(_ payloads: [Payload], from: EndpointAddress, to: EndpointAddress) -> Inbound {
            MachinePair.quickModeInbound(payloads, messageID: messageID, from: from, to: to)
        }
        let (offered, request) = try pair.offerQuickMode(messageID: messageID)
        guard let (_, answer) = try pair.answerQuickMode(request) else {
            Issue.record("the responder did not answer")
            return
        }
        var initiator = offered
        let dictated = answer + [.keyDictationWeight(KeyDictationWeightPayload(weight: 100))]
        guard
            case .failure(let rejection) = initiator.accept(
                inbound(dictated, from: serverParent.local, to: serverParent.remote), parent: clientParent,
                &pair.client)
        else {
            Issue.record("an answer dictating keys was accepted")
            return
        }
        #expect(rejection.error == .local(.errorIpsecIkeInvalidPayload) && rejection.notifyPeer)
        // Without the dictation the same answer is taken: the rejection is the dictation's.
        var clean = offered
        guard
            case .success = clean.accept(
                inbound(answer, from: serverParent.local, to: serverParent.remote), parent: clientParent,
                &pair.client)
        else {
            Issue.record("the answer without dictation was refused")
            return
        }
    }

    @Test("A Quick Mode request carrying Key Dictation is refused with NO-PROPOSAL-CHOSEN and 4654 (13843)")
    func requestDictatingKeys() throws {
        var pair = try MachineTests.infrastructurePair()
        try pair.run()
        var request = try pair.offerQuickMode(messageID: 0x7272).1
        request.payloads.append(.keyDictation(KeyDictationPayload(data: [1, 2, 3, 4])))
        pair.server.outputs = []
        var responder = try #require(pair.responder)
        responder.answerQuickMode(request, exchangeType: .quickMode, &pair.server)
        let events = pair.server.outputs.compactMap { output -> AuditEvent? in
            if case .audit(let event) = output { return event } else { return nil }
        }
        #expect(events.map(\.descriptor.eventID) == [4654], "\(events)")
        #expect(events.first?.failureCode == .errorIpsecIkeInvalidPayload, "\(events)")
        #expect(pair.server.outputs.contains { if case .send = $0 { true } else { false } })
        #expect(!pair.server.outputs.contains { if case .installSA = $0 { true } else { false } })
    }
}

/// The TLS GSS-APIsecret, calibrated against the peer's own proof (Docs/InteropProfile.md).
@Suite("TLS secret calibration")
struct TLSSecretCalibrationTests {
    static func settings(_ name: String) throws -> EndpointSettings {
        var settings = EndpointSettings()
        settings.interop = try #require(InteropProfile.named(name))
        return settings
    }

    @Test("A responder finds the initiator's secret form by the keys that verify its first encrypted message")
    func responderCalibrates() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            clientSettings: try Self.settings("tls-secret-eap-key"))
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(!fixture.clientNode.eventIDs.contains(4652), "first try: \(fixture.clientNode.eventIDs)")
        #expect(
            fixture.serverNode.calibrations == [Calibration(peer: fixture.clientAddress, tlsSecret: .eapKeyMaterial)],
            "\(fixture.serverNode.calibrations)")
    }

    @Test(
        "An initiator whose #5 goes unanswered tries the next secret form in a new Main Mode, once per form, and remembers what worked"
    )
    func initiatorCalibrates() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverSettings: try Self.settings("tls-secret-master-secret"))
        fixture.connect()
        fixture.run(seconds: 150)
        fixture.expectEstablished()
        // The exporter, then the EAP-TLS key, each unanswered; then the master secret.
        #expect(fixture.clientNode.events(4652).count == 2, "\(fixture.clientNode.eventIDs)")
        #expect(
            fixture.clientNode.calibrations == [Calibration(peer: fixture.serverAddress, tlsSecret: .masterSecret)],
            "\(fixture.clientNode.calibrations)")
        // The next Main Mode to that peer starts with what worked.
        fixture.simulation.inject(.removeMainModeSAs(MainModeSAFilter()), into: fixture.client)
        fixture.run(seconds: 5)
        fixture.connect()
        fixture.run(seconds: 10)
        #expect(fixture.clientNode.events(4652).count == 2, "\(fixture.clientNode.eventIDs)")
        fixture.expectEstablished()
    }

    @Test("An endpoint that knows one form only, against another form: no calibration, the failure as before")
    func noCommonForm() throws {
        var client = try Self.settings("tls-secret-eap-key")
        client.negotiationRetries = 0
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverSettings: try Self.settings("tls-secret-master-secret"), clientSettings: client)
        fixture.connect()
        fixture.run(seconds: 120)
        #expect(fixture.clientNode.events(4652).count == 1, "\(fixture.clientNode.eventIDs)")
        #expect(fixture.clientNode.calibrations.isEmpty && fixture.serverNode.calibrations.isEmpty)
        fixture.run(seconds: 60)
        fixture.expectNothingLeft()
    }
}

/// NAT-D hashed with SHA-1 (RFC 3947's) by the peer instead of SHA-256 (E1).
@Suite("NAT-D hash")
struct NATDiscoveryTests {
    @Test(
        "A peer hashing NAT-D with SHA-1 is understood in either role: no NAT seen where there is none, answered in SHA-1",
        arguments: [true, false])
    func sha1(variantIsClient: Bool) throws {
        var variant = EndpointSettings()
        variant.interop = try #require(InteropProfile.named("nat-d-sha1"))
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            ipv4: true, serverSettings: variantIsClient ? EndpointSettings() : variant,
            clientSettings: variantIsClient ? variant : EndpointSettings())
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        // Without a NAT nothing moves to 4500 and no SA is UDP-encapsulated.
        #expect(fixture.clientNode.installedSAs.values.flatMap(\.values).allSatisfy { !$0.udpEncapsulated })
        #expect(fixture.simulation.trace.allSatisfy { $0.to.port == 500 })
        // The variant hashes with SHA-1 (20 bytes); our responder answers in the initiator's hash.
        for (sender, length) in [("CLIENT1", variantIsClient ? 20 : 32), ("DASERVER", 20)] {
            let first = try #require(fixture.simulation.trace.first { $0.sender == sender })
            let natD = try Message(parsing: first.bytes).payloads.compactMap { payload -> Int? in
                if case .natDiscovery(let p) = payload { return p.data.count } else { return nil }
            }
            #expect(natD == [length, length], "\(sender): \(natD)")
        }
    }
}

/// The form of Auth1/Auth2, calibrated against the peer's Auth1 (Docs/InteropProfile.md).
@Suite("Proof form calibration")
struct TranscriptCalibrationTests {
    @Test("A responder finds the form the initiator's Auth1 is in, and answers Auth2 in it")
    func responderCalibrates() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            clientSettings: try TLSSecretCalibrationTests.settings("auth-over-whole-messages"))
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(!fixture.clientNode.eventIDs.contains(4652), "first try: \(fixture.clientNode.eventIDs)")
        #expect(
            fixture.serverNode.calibrations == [
                Calibration(
                    peer: fixture.clientAddress, tlsSecret: .exporter,
                    transcript: TranscriptForm(coverage: .wholeMessage, hashChain: true))
            ], "\(fixture.serverNode.calibrations)")
    }

    @Test("An initiator whose Auth1 is refused tries the next form in a new Main Mode, once per form, and remembers")
    func initiatorCalibrates() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverSettings: try TLSSecretCalibrationTests.settings("auth-with-crypto-payload-unhashed"))
        fixture.connect()
        fixture.run(seconds: 60)
        fixture.expectEstablished()
        let form = TranscriptForm(coverage: .withCryptoPayload, hashChain: false)
        let refusals = try #require(TranscriptForm.candidates.firstIndex(of: form))
        #expect(fixture.clientNode.events(4652).count == refusals, "\(fixture.clientNode.eventIDs)")
        #expect(
            fixture.clientNode.calibrations == [
                Calibration(peer: fixture.serverAddress, tlsSecret: .exporter, transcript: form)
            ], "\(fixture.clientNode.calibrations)")
        fixture.simulation.inject(.removeMainModeSAs(MainModeSAFilter()), into: fixture.client)
        fixture.run(seconds: 5)
        fixture.connect()
        fixture.run(seconds: 10)
        #expect(fixture.clientNode.events(4652).count == refusals, "the next Main Mode starts in the form that worked")
        fixture.expectEstablished()
    }
}

/// Extended Mode GSS rounds on 243 in clear are a Windows variant we accept; they must not let
/// an attacker who sees the cookies inject clear messages into an encrypted Extended Mode.
@Suite("Extended Mode framing")
struct ExtendedModeFramingTests {
    @Test("Forged clear GSS rounds on 243, after the peers' encrypted ones, are dropped on both sides")
    func forgedClearRoundsDropped() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory)
        fixture.simulation.recordsTraffic = true
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        // Until the server has answered the client's first encrypted Extended Mode GSS round
        // (the second message each sends on 245).
        func sent(_ sender: String) -> [TracedDatagram] {
            fixture.simulation.trace.filter {
                $0.sender == sender && $0.bytes[18] == ExchangeType.extendedMode.rawValue
            }
        }
        for _ in 0..<2_000 where sent("DASERVER").count < 2 { fixture.run(seconds: 0.001) }
        let rounds = sent("CLIENT1")
        try #require(sent("DASERVER").count == 2)
        let round = try #require(rounds.last)
        let header = try Message(parsing: round.bytes).header
        let forged = Message(
            header: ISAKMPHeader(
                initiatorCookie: header.initiatorCookie, responderCookie: header.responderCookie,
                exchangeType: .mainMode),
            payloads: [
                .crypto(CryptoPayload(sequenceNumber: 1)),
                .gss(GSSPayload(token: [0x4E, 0x54, 0x4C, 0x4D, 0x00], flags: .newExchange)),
            ]
        ).serialized()
        for sequence: UInt8 in 1...3 {
            var bytes = forged
            bytes[35] = sequence
            fixture.simulation.inject(.datagram(bytes, from: round.from, to: round.to), into: fixture.server)
            fixture.simulation.inject(.datagram(bytes, from: round.to, to: round.from), into: fixture.client)
        }
        fixture.run()
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.eventIDs == [4981, 5451], "\(node.name): \(node.eventIDs)")
        }
        fixture.expectMatchingKeys()
    }
}
