import AuthIP
import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

/// An SA is never keyed or confirmed while a check of its authentication is pending: a peer
/// that sends its proof before the remote directory has answered for its account gets nothing.
@Suite("Authorization is not skipped while a directory answer is pending")
struct AuthorizationRaceTests {
    static let server = EndpointAddress(EngineFixture.serverV6)
    static let attacker = EndpointAddress(EngineFixture.clientV6)

    /// A responder that runs NTLM in Main Mode and asks a remote directory for accounts.
    static func responder() throws -> Endpoint {
        EngineFixture.endpoint(
            "DASERVER", principal: "host/daserver.da.test@DA.TEST",
            rules: [
                EngineFixture.rule(
                    "server", local: EngineFixture.serverV6, remote: .allIPv6,
                    auth: [try EngineFixture.ntlmServer()])
            ],
            seed: 7, remoteDirectory: RemoteDirectoryPolicy(cacheLifetime: .seconds(60), timeout: .seconds(10)))
    }

    /// The #1 a real initiator with an NTLM rule sends.
    static func template() -> [UInt8] {
        var client = EngineFixture.endpoint(
            "CLIENT1", principal: "CLIENT1$@DA.TEST",
            rules: [
                EngineFixture.rule(
                    "client", local: EngineFixture.clientV6,
                    remote: AddressRange(EngineFixture.serverV6),
                    auth: [EngineFixture.ntlmClient()])
            ], seed: 8)
        let outputs = client.handle(
            .acquire(TrafficRequest(source: EngineFixture.clientV6, destination: EngineFixture.serverV6)),
            now: EngineFixture.start)
        return outputs.compactMap { if case .send(let bytes, _, _) = $0 { return bytes } else { return nil } }[0]
    }

    static func disabled() -> Account {
        Account(samAccountName: "CLIENT1$", domain: "CORP", kind: .computer, isEnabled: false, ntHash: .empty)
    }

    /// The rushing initiator, as CLIENT1$ (whose password it has), past MM #1/#2.
    static func rushingInitiator() throws -> HostileInitiator {
        var peer = try HostileInitiator(
            responder: try Self.responder(), local: Self.attacker, remote: Self.server,
            credentials: NTLMCredentials(
                user: "CLIENT1$", domain: "CORP", password: "Client1-Machine-Secret",
                workstation: "CLIENT1"),
            now: EngineFixture.start)
        try peer.offer(template: Self.template())
        return peer
    }

    @Test(
        "MM #5 sent before the directory answers: nothing decrypts, no MM SA; the answer (disabled) is refused with 13905"
    )
    func rushedMainModeProof() throws {
        var peer = try Self.rushingInitiator()
        let heldAnswers = try peer.authenticate()
        #expect(heldAnswers.isEmpty, "the responder holds its answer until the directory has answered")
        let query = try #require(peer.lookUps.first, "the responder asks the directory for the account")
        #expect(query.name == "CLIENT1$")

        // The attacker does not wait: its keys and Auth1 are right, and sent now.
        let replies = peer.deliver(try peer.rushedProof())
        #expect(replies.isEmpty, "no #6 for a proof sent while authorization is pending")
        #expect(peer.responder.database.mainModeCount == 0)
        #expect(peer.events(4650).isEmpty && peer.events(4651).isEmpty)

        // The directory's answer comes: a disabled account.
        peer.now = peer.now.addingTimeInterval(1)
        let refusal = peer.handle(.accountLookedUp(query, .found(Self.disabled())))
        let status = try #require(
            try refusal.first.map { try Message(parsing: $0) }?.clearPayloads.compactMap {
                if case .gss(let g) = $0 { return g.status } else { return nil }
            }.first)
        #expect(status == WindowsError.errorIpsecIkeAuthorizationFailure.code)
        // The attacker's proof again, now that the responder has made up its mind: still nothing.
        #expect(peer.deliver(try peer.rushedProof()).isEmpty)
        peer.now = peer.now.addingTimeInterval(120)
        peer.handle(.timer)
        #expect(peer.responder.database.mainModeCount == 0)
        #expect(peer.responder.sessionCount == 0)
        // The attacker never gives up on the wire: the responder's wait for it ends in 4653.
        #expect(peer.events(4653).count == 1)
    }

    @Test(
        "The same rush toward an enabled account: the early proof is still dropped; the MM SA comes only after the answer"
    )
    func rushedProofOfAnEnabledAccount() throws {
        var peer = try Self.rushingInitiator()
        _ = try peer.authenticate()
        let query = try #require(peer.lookUps.first)
        #expect(peer.deliver(try peer.rushedProof()).isEmpty)
        #expect(peer.responder.database.mainModeCount == 0)
        var enabled = Self.disabled()
        enabled.isEnabled = true
        let answer = peer.handle(.accountLookedUp(query, .found(enabled)))
        let flags = try #require(
            try answer.first.map { try Message(parsing: $0) }?.clearPayloads.compactMap {
                if case .gss(let g) = $0 { return g.flags } else { return nil }
            }.first)
        #expect(flags.contains(.responderAuthComplete))
    }
}

@Suite("An authorization belongs to the context it was granted for")
struct AuthorizationRestartTests {
    /// CLIENT1$ completes and is authorized; the peer then starts NTLM over as DASERVER$ (whose
    /// password it also has) and sends #5 with DASERVER$'s keys before the directory has
    /// answered for DASERVER$. CLIENT1$'s authorization must not key DASERVER$'s context.
    @Test("A restart after an authorized context, then #5 before the new account's answer: nothing decrypts, no MM SA")
    func restartDoesNotInheritAuthorization() throws {
        var peer = try AuthorizationRaceTests.rushingInitiator()
        _ = try peer.authenticate()
        let first = try #require(peer.lookUps.first)
        var enabled = AuthorizationRaceTests.disabled()
        enabled.isEnabled = true
        let complete = try #require(peer.handle(.accountLookedUp(first, .found(enabled))).first)
        #expect(HostileInitiator.gssPayload(complete)?.flags.contains(.responderAuthComplete) == true)
        try peer.received(complete)

        let held = try peer.restart(
            as: NTLMCredentials(
                user: "DASERVER$", domain: "CORP", password: "DAServer-Machine-Secret",
                workstation: "DASERVER"))
        #expect(held.isEmpty, "DASERVER$'s AUTHENTICATE waits for the directory")
        let second = try #require(peer.lookUps.last)
        #expect(second.name == "DASERVER$")
        #expect(peer.deliver(try peer.rushedProof()).isEmpty, "no #6 under CLIENT1$'s authorization")
        #expect(peer.responder.database.mainModeCount == 0)
        #expect(peer.events(4650).isEmpty && peer.events(4651).isEmpty)

        // The directory says DASERVER$ is disabled: refused, and still no SA.
        let refusal = try #require(
            peer.handle(
                .accountLookedUp(
                    second,
                    .found(
                        Account(
                            samAccountName: "DASERVER$", domain: "CORP", kind: .computer,
                            isEnabled: false, ntHash: .empty)))
            ).first)
        #expect(HostileInitiator.gssPayload(refusal)?.status == WindowsError.errorIpsecIkeAuthorizationFailure.code)
        #expect(peer.deliver(try peer.rushedProof()).isEmpty)
        #expect(peer.responder.database.mainModeCount == 0)
    }
}

/// The same race in Extended Mode: a client that swaps in its own NTLM AUTHENTICATE and sends
/// #11 (Auth3) right after it, before the remote directory has answered for its account.
@Suite("Extended Mode's proof is not taken while a directory answer is pending", .serialized)
struct ExtendedModeRaceTests {
    /// What the man in the middle (the client's own side, hostile) learns and does.
    final class Rush: @unchecked Sendable {
        var attackerNTLM = NTLMInitiatorContext(
            credentials: NTLMCredentials(
                user: "CLIENT1$", domain: "CORP",
                password: "Client1-Machine-Secret", workstation: "CLIENT1"))
        var random = SeededRandomSource(seed: 0xE11)
        var initiatorNonce: [UInt8]?
        var responderNonce: [UInt8]?
        var auth1: [UInt8]?
        /// The Extended Mode chains before Auth3, in order, as the responder hashes them.
        var extendedChains: [UInt8: [UInt8]] = [:]
        var protection: CryptoPayloadProtection?
        var cookies: CookiePair?
        var swapped = false

        func see(_ datagram: TracedDatagram, keys: [CookiePair: CryptoPayloadProtection]) -> [UInt8]? {
            guard let message = try? Message(parsing: datagram.bytes) else { return datagram.bytes }
            let header = message.header
            let pair = CookiePair(initiator: header.initiatorCookie, responder: header.responderCookie)
            if !header.flags.contains(.encrypted) {
                if header.exchangeType == .mainMode, message.crypto?.sequenceNumber == 0 {
                    let nonces = message.clearPayloads.compactMap {
                        if case .nonce(let n) = $0 { return n.data } else { return nil }
                    }
                    if datagram.sender == "CLIENT1" {
                        initiatorNonce = nonces.first
                    } else {
                        responderNonce = nonces.first
                    }
                }
                return datagram.bytes
            }
            guard let keys = keys[pair], let opened = try? keys.open(datagram.bytes) else { return datagram.bytes }
            protection = keys
            cookies = pair
            if header.exchangeType == .mainMode, datagram.sender == "CLIENT1", auth1 == nil {
                auth1 =
                    opened.payloads.compactMap { if case .hash(let h) = $0 { return h.data } else { return nil } }.first
            }
            guard header.exchangeType == .extendedMode, opened.sequenceNumber <= 2 else { return datagram.bytes }
            // The client's requests take the even slots, the server's answers the odd ones.
            let fromClient = datagram.sender == "CLIENT1"
            let slot = UInt8(opened.sequenceNumber * 2 + (fromClient ? 0 : 1))
            let token = opened.payloads.compactMap { if case .gss(let g) = $0 { return g.token } else { return nil } }
                .first
            switch (fromClient, opened.sequenceNumber) {
            case (true, 1):
                // NEGOTIATE: the attacker's own context says the same.
                _ = try? attackerNTLM.step([], now: Date(), random: &random).token
            case (false, 1):
                // CHALLENGE: the attacker answers it with its own context, whose key it knows.
                ownAuthenticate = token.flatMap { try? attackerNTLM.step($0, now: Date(), random: &random).token }
            case (true, 2):
                guard let own = ownAuthenticate,
                    let sealed = try? keys.seal(
                        header: header, sequenceNumber: 2, payloads: [.gss(GSSPayload(token: own))], random: &random),
                    let reopened = try? keys.open(sealed)
                else { return datagram.bytes }
                extendedChains[slot] = reopened.plaintextChain
                swapped = true
                return sealed
            case (false, 2):
                return datagram.bytes
            default:
                break
            }
            extendedChains[slot] = opened.plaintextChain
            return datagram.bytes
        }

        var ownAuthenticate: [UInt8]?

        /// #11 with Auth3 over what the server has hashed so far.
        func rushedFinal() throws -> [UInt8] {
            let protection = try #require(protection), cookies = try #require(cookies)
            var transcript = AuthenticationTranscript.extendedMode(hash: protection.algorithms.hash)
            for slot in [0, 1, 2, 3, 4] as [UInt8] {
                transcript.append(try #require(extendedChains[slot], "EM message \(slot)"))
            }
            let derivation = KeyDerivation(
                algorithms: protection.algorithms, initiatorCookie: cookies.initiator,
                responderCookie: cookies.responder)
            let skeyidEM = MainModeKeys.extendedModeKey(
                derivation: derivation, z: .empty, initiatorNonce: try #require(initiatorNonce),
                responderNonce: try #require(responderNonce),
                gssSecret: try #require(attackerNTLM.sessionKey))
            let auth3 = transcript.extendedInitiatorProof(skeyidEM: skeyidEM, auth1: try #require(auth1))
            let header = ISAKMPHeader(
                initiatorCookie: cookies.initiator, responderCookie: cookies.responder, exchangeType: .extendedMode,
                flags: .encrypted, messageID: InteropProfile.extendedModeMessageID)
            return try protection.seal(
                header: header, sequenceNumber: 3, payloads: [.hash(HashPayload(data: auth3))], random: &random)
        }
    }

    @Test("#11 sent before the directory answers ends the Extended Mode (4984): no MM SA, no QM SA, at either time")
    func rushedExtendedModeProof() throws {
        let directory = try DirectAccessFixture.directory()
        let serverSetup = try DirectAccessFixture.serverSetup(directory: directory)
        let clientSetup = try DirectAccessFixture.clientSetup()
        var simulation = Simulation(seed: 5, start: EngineFixture.start)
        let client = simulation.add(
            "CLIENT1",
            Endpoint(
                configuration: EndpointConfiguration(
                    computerName: "CLIENT1", principalName: "CLIENT1$@DA.TEST", rules: clientSetup.rules),
                random: SeededRandomSource(seed: 105), now: EngineFixture.start), addresses: [clientSetup.address])
        let server = simulation.add(
            "DASERVER",
            Endpoint(
                configuration: EndpointConfiguration(
                    computerName: "DASERVER", principalName: "host/daserver.da.test@DA.TEST",
                    rules: serverSetup.rules, directory: directory,
                    remoteDirectory: RemoteDirectoryPolicy(cacheLifetime: .seconds(60), timeout: .seconds(20))),
                random: SeededRandomSource(seed: 205), now: EngineFixture.start),
            addresses: [serverSetup.infrastructureTunnelEndpoint, serverSetup.intranetTunnelEndpoint])
        // The directory answers after 10 s: enabled for Main Mode's look-up (by the certificate's
        // name); by Extended Mode's (CORP\CLIENT1$) the account has been disabled.
        simulation.directoryServer = { (query: AccountQuery) -> AccountLookup in
            guard var account = directory.account(named: query.name, inDomain: "") else { return .notFound }
            account.isEnabled = query.domain == nil
            return .found(account)
        }
        simulation.directoryLatency = .seconds(10)
        let rush = Rush()
        simulation.interceptor = { rush.see($0, keys: $1) }
        simulation.inject(
            .acquire(
                TrafficRequest(
                    source: DirectAccessFixture.clientAddress, destination: DirectAccessFixture.dns.first,
                    ipProtocol: 17, destinationPort: 53)), into: client)
        var waited = 0
        while !rush.swapped && waited < 3_000 {
            simulation.run(for: .milliseconds(10))
            waited += 1
        }
        #expect(rush.swapped, "the client reached NTLM AUTHENTICATE")
        simulation.run(for: .milliseconds(100))
        let early = try rush.rushedFinal()
        let serverAddress = EndpointAddress(serverSetup.infrastructureTunnelEndpoint)
        simulation.inject(.datagram(early, from: EndpointAddress(clientSetup.address), to: serverAddress), into: server)
        simulation.run(for: .milliseconds(100))
        let serverNode = simulation.nodes[server]
        #expect(serverNode.endpoint.database.mainModeCount == 0, "events \(serverNode.eventIDs)")
        #expect(serverNode.installedSACount == 0)
        #expect(serverNode.events(4979).isEmpty && serverNode.events(4981).isEmpty)
        #expect(serverNode.events(4984).count == 1, "the premature proof ends the Extended Mode")
        simulation.run(for: .seconds(60))
        #expect(serverNode.endpoint.database.mainModeCount == 0)
        #expect(simulation.nodes[server].installedSACount == 0)
        #expect(simulation.nodes[server].events(4979).isEmpty && simulation.nodes[server].events(4981).isEmpty)
    }
}
