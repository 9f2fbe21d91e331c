import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// The responder's Main Mode: MM #1 answered with #2, or refused with a NOTIFY_STATUS and no
/// state at all.
extension MainModeMachine {
    /// A new Main Mode answering `inbound` (#1, its limits and DoS checks passed) under rule
    /// `ruleIndex` with these cookies; nil when this side will not negotiate (the refusal is
    /// sent and recorded, and nothing is kept).
    static func answering(
        _ inbound: Inbound, cookies: CookiePair, ruleIndex: Int, _ shared: inout EndpointContext
    ) -> MainModeMachine? {
        let rule = shared.rules[ruleIndex]
        guard let sa = inbound.securityAssociation, let offeredMethods = inbound.auth?.methods,
            let nonce = inbound.nonces.first, !nonce.data.isEmpty
        else { return nil }
        let peerGroup = inbound.keyExchange != nil ? MainModeProposals.offers(in: sa).first?.group : nil
        var accepted: [AuthMethod] = []
        for method in offeredMethods
        where !accepted.contains(method)
            && rule.mainModeAuthentication.entries(for: method).contains(where: { $0.canRun(as: .acceptor) })
            && (peerGroup != nil || (method != .ntlm && method != .anonymous))
        {
            accepted.append(method)
        }
        let refusal = MainModeRefusal(cookies: cookies, local: inbound.to, remote: inbound.from, ruleIndex: ruleIndex)
        guard
            let chosen = MainModeProposals.choose(
                from: MainModeProposals.offers(in: sa), set: rule.mainModeCrypto, keyExchangeGroup: peerGroup)
        else {
            refusal.refuse(.errorIpsecIkeAttribFail, method: accepted.first, &shared)
            return nil
        }
        guard !accepted.isEmpty else {
            refusal.refuse(.errorIpsecIkeInvalidAuthPayload, method: nil, &shared)
            return nil
        }
        var sharedSecret = SecretBytes.empty
        var keyPair: DiffieHellmanKeyPair?
        if let group = peerGroup, let ke = inbound.keyExchange {
            guard let pair = try? DiffieHellmanKeyPair(group: group, random: &shared.random),
                let secret = try? pair.sharedSecret(peerPublicValue: ke.data)
            else {
                refusal.refuse(.errorIpsecIkeProcessErrKe, method: accepted.first, &shared)
                return nil
            }
            keyPair = pair
            sharedSecret = secret
        }
        let agreement = MainModeAgreement(
            algorithms: MainModeAlgorithms(cipher: chosen.cipher, hash: chosen.hash), group: peerGroup,
            lifetimeSeconds: min(
                chosen.lifetimeSeconds ?? rule.mainModeCrypto.lifetimeSeconds, rule.mainModeCrypto.lifetimeSeconds),
            quickModeLimit: rule.mainModeCrypto.quickModeLimit,
            initiatorNonce: nonce.data, responderNonce: shared.random.bytes(InteropProfile.nonceLength),
            responderQuickModeNonce: shared.random.bytes(InteropProfile.nonceLength),
            sharedSecret: sharedSecret, methods: accepted, peerPrincipalName: nil,
            legacyICV: inbound.vendors.contains { $0.forcesTwelveByteICV })
        // A token in #1 for the initiator's first method, which this side accepts, is answered
        // in #2 (MS-AIPS 3.3.5.1); then #1 enters the transcript as a GSS request.
        let answersToken =
            inbound.gss != nil && shared.settings.interop.answersFirstTokenInFirstMessage
            && accepted.first == offeredMethods.first
        var transcript = AuthenticationTranscript.mainMode(hash: chosen.hash)
        if !answersToken { transcript.append(inbound.transcriptMessage) }
        var session = MainModeMachine(
            id: shared.takeSAID(), role: .responder, cookies: cookies, local: inbound.to, remote: inbound.from,
            ruleIndex: ruleIndex,
            phase: .authenticating(
                MainModeAuthentication(
                    agreement: agreement,
                    gss: GSSNegotiation(methods: accepted, transcript: transcript, peerPrincipalName: nil))))
        session.peerSupportsFragmentation = inbound.vendors.contains(.fragmentation)
        session.natDetected = session.detectNAT(inbound)
        session.channel.accept(inbound.key, digest: inbound.digest)
        let second = session.secondMessage(
            inbound.key, agreement, transform: chosen.transform, keyPair: keyPair,
            natHash: shared.settings.interop.natDiscoveryWithSHA1
                ? .sha1 : Self.natDiscoveryHash(of: inbound) ?? InteropProfile.natDiscoveryHash, shared)
        var rateLimited = false
        if answersToken {
            // The token's answer completes #2, now or once what its step waits for has come.
            let limitedBefore = shared.rateLimitedTLSStarts
            session.setPendingSecond(second)
            session.receiveAuthenticationRequest(inbound, stage: .mainMode, &shared)
            rateLimited = shared.rateLimitedTLSStarts != limitedBefore
        }
        if !answersToken || rateLimited {
            // No token, or one dropped for its peer's TLS rate: #2 names this side in GSS_ID.
            if rateLimited {
                session.setPendingSecond(nil)
                session.channel.accept(inbound.key, digest: inbound.digest)
                session.appendToTranscript(inbound.transcriptMessage)
            }
            let chain = session.sendResponse(
                to: inbound.key,
                payloads: second.completed(
                    with: .gssIdentity(GSSIdentityPayload(principalName: shared.configuration.principalName))),
                &shared)
            session.appendToTranscript(chain)
        }
        session.negotiationDeadline = shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds)
        return session
    }

    /// MM #2 but for its GSS_ID or GSS payload: the chosen transform, the accepted methods, both
    /// nonces, vendor IDs, NAT-D, then KE. NAT-D is hashed as the peer hashed its own.
    private func secondMessage(
        _ key: ExchangeKey, _ agreement: MainModeAgreement, transform: Transform,
        keyPair: DiffieHellmanKeyPair?, natHash: HashAlgorithm, _ shared: EndpointContext
    ) -> SecondMessage {
        // The chosen transform as offered, its number kept.
        var payloads: [Payload] = [
            .securityAssociation(
                SecurityAssociationPayload(proposals: [
                    Proposal(number: 1, protocolID: .isakmp, transforms: [transform])
                ])),
            .auth(AuthPayload(methods: agreement.methods)),
            .nonce(NoncePayload(data: agreement.responderNonce)),
            .nonce(NoncePayload(data: agreement.responderQuickModeNonce)),
        ]
        payloads += Self.localVendors(ipv4: remote.isIPv4).map { .vendorID(VendorIDPayload($0)) }
        if remote.isIPv4 {
            payloads += Self.natDiscovery(cookies: cookies, local: local, remote: remote, hash: natHash).map {
                .natDiscovery(NATDiscoveryPayload(data: $0))
            }
        }
        return SecondMessage(
            key: key, before: payloads,
            after: keyPair.map { [.keyExchange(KeyExchangePayload(data: $0.publicValue))] } ?? [])
    }

    /// Sets (or clears) the #2 that waits for the answer to the token in #1; returns the one
    /// that was waiting.
    @discardableResult
    mutating func setPendingSecond(_ second: SecondMessage?) -> SecondMessage? {
        guard case .authenticating(var auth) = phase else { return nil }
        let pending = auth.pendingSecond
        phase = .closing(nil)
        auth.pendingSecond = second
        phase = .authenticating(auth)
        return pending
    }

    /// Adds a message to Main Mode's transcript.
    private mutating func appendToTranscript(_ message: TranscriptMessage) {
        guard case .authenticating(var auth) = phase else { return }
        phase = .closing(nil)
        auth.gss.transcript.append(message)
        phase = .authenticating(auth)
    }
}

/// The responder's MM #2 before its GSS_ID, or the GSS answer to a token in #1, goes in.
struct SecondMessage {
    /// #1's key, which #2 answers.
    var key: ExchangeKey
    var before: [Payload]
    var after: [Payload]

    /// The payloads of #2 with `payload` in its place.
    func completed(with payload: Payload) -> [Payload] { before + [payload] + after }
}

/// A #1 this side will not negotiate: the NOTIFY_STATUS that answers it and the failure event,
/// without a session (MS-AIPS keeps no state for it).
struct MainModeRefusal {
    var cookies: CookiePair
    var local: EndpointAddress
    var remote: EndpointAddress
    var ruleIndex: Int

    func refuse(_ code: WindowsError, method: AuthMethod?, _ shared: inout EndpointContext) {
        let datagram = Message(
            header: ISAKMPHeader(
                initiatorCookie: cookies.initiator, responderCookie: cookies.responder, exchangeType: .mainMode),
            payloads: [.crypto(CryptoPayload(sequenceNumber: 0)), .notify(.status(code: code.code, reliable: false))]
        ).serialized()
        shared.outputs.append(.send(datagram, from: local, to: remote))
        let (localPeer, remotePeer) = NegotiationEvents.peers(
            local: local, localName: nil, remote: remote, remoteName: nil)
        shared.emit(
            .mainModeFailed(
                MainModeFailed(
                    local: localPeer, remote: remotePeer, keyingModule: .authIP,
                    failure: NegotiationFailure(point: .localComputer, reason: FailureReason(code)),
                    authenticationMethod: method.map { AuthIPAudit.AuthenticationMethod($0, certificate: nil) }
                        ?? .unknown,
                    state: .noState, role: .responder, impersonation: .notEnabled,
                    filterID: shared.rules[ruleIndex].filterID, initiatorCookie: cookies.initiator,
                    responderCookie: cookies.responder)))
    }
}
