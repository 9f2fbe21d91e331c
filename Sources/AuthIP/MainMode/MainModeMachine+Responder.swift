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
        var transcript = AuthenticationTranscript.mainMode(hash: chosen.hash)
        transcript.append(inbound.transcriptMessage)
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
        session.answerFirst(
            inbound.key, agreement, transform: chosen.transform, keyPair: keyPair,
            natHash: shared.settings.interop.natDiscoveryWithSHA1
                ? .sha1 : Self.natDiscoveryHash(of: inbound) ?? InteropProfile.natDiscoveryHash, &shared)
        session.negotiationDeadline = shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds)
        return session
    }

    /// MM #2: the chosen transform, the accepted methods, both nonces, vendor IDs, NAT-D, GSS_ID
    /// and KE.
    /// NAT-D is hashed as the peer hashed its own.
    private mutating func answerFirst(
        _ key: ExchangeKey, _ agreement: MainModeAgreement, transform: Transform,
        keyPair: DiffieHellmanKeyPair?, natHash: HashAlgorithm, _ shared: inout EndpointContext
    ) {
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
        payloads.append(.gssIdentity(GSSIdentityPayload(principalName: shared.configuration.principalName)))
        if let keyPair { payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue))) }
        let chain = sendResponse(to: key, payloads: payloads, &shared)
        guard case .authenticating(var auth) = phase else { return }
        auth.gss.transcript.append(chain)
        phase = .authenticating(auth)
    }
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
