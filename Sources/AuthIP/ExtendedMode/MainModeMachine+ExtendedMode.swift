import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPWire
import Foundation

/// Extended Mode (MS-AIPS 3.6/3.7): after the first Quick Mode and its synchronize, a second
/// authentication on exchange 245 (#7 Auth list, #8 Auth + GSS_ID, GSS rounds, Auth3/Auth4)
/// whose SKEYID_em binds the Quick Mode keys. Its failure takes the MM and QM state with it.
extension MainModeMachine {
    /// Whether an Extended Mode has started (its first Quick Mode is done) and not ended.
    var isInExtendedMode: Bool {
        if case .extendedMode(_, let em) = phase { return em.hasStarted }
        return false
    }

    /// Initiator, after QM synchronize: EM #7 with this side's methods.
    mutating func startExtendedMode(_ shared: inout EndpointContext) {
        guard case .extendedMode(let mm, var em) = phase, case .awaitingMethods = em.state,
            let policy = shared.rules[em.ruleIndex].extendedMode
        else { return }
        let methods = ExtendedModeMachine.offeredMethods(policy)
        guard !methods.isEmpty else {
            failExtendedMode(.local(.errorIpsecIkeNoPolicy), notifyPeer: true, &shared)
            return
        }
        var gss = GSSNegotiation(
            methods: methods, transcript: .extendedMode(hash: mm.agreement.algorithms.hash), peerPrincipalName: nil)
        gss.transcript.append(
            sendRequest(
                exchange: .extendedMode, messageID: InteropProfile.extendedModeMessageID,
                payloads: [.auth(AuthPayload(methods: methods))], purpose: .extendedMode, &shared))
        em.authenticate(with: gss)
        phase = .extendedMode(mm, em)
    }

    /// Responder: EM #7 (methods), a GSS round, or #11 (Auth3); on exchange 245, or as a
    /// variant on 243 (a GSS round there may be clear, and is answered so).
    mutating func receiveExtendedModeRequest(_ inbound: Inbound, _ shared: inout EndpointContext) {
        let encrypted = inbound.header.flags.contains(.encrypted)
        guard case .extendedMode(_, let em) = phase, em.hasStarted, encrypted || inbound.gss != nil else {
            // Extended Mode where none is expected, or before Quick Mode is done: discarded.
            emitInvalidPacket(.extendedMode, &shared)
            return
        }
        if inbound.gss != nil, extendedModeFraming == nil {
            extendedModeFraming = encrypted ? .encryptedExtendedModeExchange : .clearMainModeExchange
        }
        if let code = inbound.statusCode, inbound.gss == nil, inbound.hash == nil {
            failExtendedMode(.remote(WindowsError.lookup(code)), notifyPeer: false, &shared)
            return
        }
        negotiationDeadline = shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds)
        switch em.state {
        case .awaitingMethods: answerExtendedModeMethods(inbound, &shared)
        case .authenticating(let first, let gss) where inbound.hash != nil:
            receiveFinalExtendedModeRequest(inbound, first, gss, &shared)
        default: receiveAuthenticationRequest(inbound, stage: .extendedMode, &shared)
        }
    }

    /// EM #8: the methods this side accepts, in the initiator's order, and its SPN.
    private mutating func answerExtendedModeMethods(_ inbound: Inbound, _ shared: inout EndpointContext) {
        guard case .extendedMode(let mm, var em) = phase, let policy = shared.rules[em.ruleIndex].extendedMode,
            let offered = inbound.auth?.methods
        else {
            failExtendedMode(.local(.errorIpsecIkeInvalidPayload), notifyPeer: true, respondingTo: inbound.key, &shared)
            return
        }
        let accepted = ExtendedModeMachine.acceptedMethods(offered, policy: policy)
        guard !accepted.isEmpty else {
            failExtendedMode(
                .local(.errorIpsecIkeInvalidAuthPayload), notifyPeer: true, respondingTo: inbound.key, &shared)
            return
        }
        var gss = GSSNegotiation(
            methods: accepted, transcript: .extendedMode(hash: mm.agreement.algorithms.hash), peerPrincipalName: nil)
        gss.transcript.append(inbound.transcriptMessage)
        gss.transcript.append(
            sendResponse(
                to: inbound.key,
                payloads: [
                    .auth(AuthPayload(methods: accepted)),
                    .gssIdentity(GSSIdentityPayload(principalName: shared.configuration.principalName)),
                ], &shared))
        em.authenticate(with: gss)
        phase = .extendedMode(mm, em)
    }

    /// Initiator: EM #8, a GSS response, or #12 (Auth4).
    mutating func receiveExtendedModeResponse(_ inbound: Inbound, _ shared: inout EndpointContext) {
        guard case .extendedMode(let mm, let em) = phase, var gss = em.negotiation else { return }
        if let code = inbound.statusCode, inbound.gss == nil, inbound.hash == nil {
            failExtendedMode(.remote(WindowsError.lookup(code)), notifyPeer: false, &shared)
            return
        }
        negotiationDeadline = shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds)
        if case .finalSent(let first, _, let proof) = em.state {
            guard em.acceptsFinal(inbound.hash, mm: mm) else {
                failExtendedMode(.local(.errorIpsecIkeInvalidHash), notifyPeer: true, &shared)
                return
            }
            completeExtendedMode(first, gss, proof, &shared)
            return
        }
        if !gss.started {
            // EM #8: the accepted methods and the responder's SPN.
            guard let accepted = ExtendedModeMachine.responderChoice(inbound.auth?.methods, offered: gss.methods) else {
                failExtendedMode(.local(.errorIpsecIkeInvalidAuthPayload), notifyPeer: true, &shared)
                return
            }
            gss.transcript.append(inbound.transcriptMessage)
            gss.methods = accepted
            gss.peerPrincipalName = inbound.gssIdentity?.principalName
            setNegotiation(gss, .extendedMode)
            initiateMethod(.extendedMode, retrying: false, peerStatus: 0, &shared)
            return
        }
        receiveAuthenticationResponse(inbound, stage: .extendedMode, &shared)
    }

    /// Initiator, GSS done and the responder checked: SKEYID_em, the inbound SA, then #11 with
    /// Auth3.
    mutating func finishExtendedModeAuthentication(_ shared: inout EndpointContext) {
        guard case .extendedMode(let mm, var em) = phase, case .authenticating(let first, let gss) = em.state,
            let policy = shared.rules[em.ruleIndex].extendedMode
        else { return }
        let localIdentity = gss.method.flatMap { method in
            authenticationSet(.extendedMode, shared).entries(for: method).first?
                .localIdentity(role: .initiator, principalName: shared.configuration.principalName)
        }
        // Only a name the method authenticated: never the SPN of EM #8.
        guard let auth3 = em.sendFinal(mm, localIdentity: localIdentity, impersonation: policy.impersonate) else {
            return
        }
        phase = .extendedMode(mm, em)
        // The inbound SA goes in before the final request (MS-AIPS 4.2).
        if let parent = quickModeParent {
            shared.outputs.append(
                .installSA(first.exchange.ipsecSA(first.agreement, direction: .inbound, parent: parent, shared)))
        }
        sendRequest(
            exchange: .extendedMode, messageID: InteropProfile.extendedModeMessageID,
            payloads: [.hash(HashPayload(data: auth3))], purpose: .extendedMode, &shared)
    }

    /// Responder, #11: Auth3 counts only once the GSS exchange is complete and its peer
    /// authorized (a proof sent while a check is pending, or after one said no, ends the
    /// Extended Mode); explicit credentials only where allowed; then both SAs and #12.
    private mutating func receiveFinalExtendedModeRequest(
        _ inbound: Inbound, _ first: FirstQuickMode, _ gss: GSSNegotiation,
        _ shared: inout EndpointContext
    ) {
        guard case .extendedMode(let mm, let em) = phase else { return }
        switch ExtendedModeMachine.checkFinal(
            inbound.hash, gss: gss, mm: mm, policy: shared.rules[em.ruleIndex].extendedMode,
            principalName: shared.configuration.principalName)
        {
        case .failure(let code):
            failExtendedMode(.local(code), notifyPeer: true, respondingTo: inbound.key, &shared)
        case .success(let (proof, auth4)):
            // Both SAs go in before the final response.
            completeExtendedMode(first, gss, proof, answering: inbound.key, auth4: auth4, &shared)
        }
    }

    /// Both sides at the end: the MM SA (with its EM identities) and the QM SA into the
    /// database, 4979–4982 and 5451; the responder's final response in between.
    private mutating func completeExtendedMode(
        _ first: FirstQuickMode, _ gss: GSSNegotiation, _ proof: ExtendedModeProof,
        answering key: ExchangeKey? = nil, auth4: [UInt8] = [], _ shared: inout EndpointContext
    ) {
        guard case .extendedMode(let mm, let em) = phase else { return }
        if isBlocked([mm.authorization, gss.authorization], shared) {
            failExtendedMode(
                .local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true, respondingTo: key, proof: proof, &shared)
            return
        }
        let outcome = ExtendedModeOutcome(proof: proof, method: gss.reportedMethod ?? .ntlm, ruleIndex: em.ruleIndex)
        guard confirm(authorizedRule: em.ruleIndex, extendedMode: outcome, &shared) else { return }
        completeQuickMode(first.exchange, first.agreement, &shared)
        if let key { sendResponse(to: key, payloads: [.hash(HashPayload(data: auth4))], &shared) }
        startPendingQuickModes(&shared)
    }

    /// Extended Mode failed: 4984 (4983 with certificates), and the MM and QM state go
    /// (MS-AIPS 3.6.5/3.7.5): the peer told, and `close` frees the first Quick Mode's SPI and
    /// removes an inbound SA already installed. `proof` gives
    /// the identities when the exchange got that far.
    mutating func failExtendedMode(
        _ error: NegotiationError, notifyPeer: Bool, respondingTo key: ExchangeKey? = nil,
        proof: ExtendedModeProof? = nil, _ shared: inout EndpointContext
    ) {
        guard case .extendedMode(_, let em) = phase, em.firstQuickMode != nil else {
            failMainMode(error, notifyPeer: notifyPeer, respondingTo: key, &shared)
            return
        }
        emitExtendedModeFailure(em, error, proof: proof, &shared)
        channel.cancel { _ in true }
        if notifyPeer { tellPeer(error.code, respondingTo: key, &shared) }
        close(&shared)
    }
}

/// How an Extended Mode ended well: what the MM SA record and 4979/4981 report.
struct ExtendedModeOutcome {
    var proof: ExtendedModeProof
    var method: AuthMethod
    var ruleIndex: Int
}
