import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPWire
import Foundation

/// The initiator's side of the GSS rounds, for Main Mode and Extended Mode alike.
extension MainModeMachine {
    /// The methods and credentials of a stage.
    func authenticationSet(_ stage: AuthenticationStage, _ shared: EndpointContext) -> AuthenticationSet {
        switch stage {
        case .mainMode: return shared.rules[ruleIndex].mainModeAuthentication
        case .extendedMode:
            return shared.rules[ruleIndex(.extendedMode)].extendedMode?.authentication ?? AuthenticationSet([])
        }
    }

    /// The flags every first token of an Extended Mode method carries (MS-AIPS 5.8).
    func extendedModeFlags(_ shared: EndpointContext) -> GSSFlags {
        guard case .extendedMode(_, let em) = phase, let policy = shared.rules[em.ruleIndex].extendedMode else {
            return []
        }
        var flags: GSSFlags = []
        if policy.impersonate { flags.insert(.impersonationActive) }
        if policy.credentialsAreExplicit { flags.insert(.explicitCredentials) }
        return flags
    }

    /// Starts (or restarts) the current method's GSS exchange with the current credentials;
    /// moves on through credentials and methods while starting fails locally, and fails the
    /// negotiation when none is left.
    mutating func initiateMethod(
        _ stage: AuthenticationStage, retrying: Bool, peerStatus: UInt32, _ shared: inout EndpointContext
    ) {
        guard var gss = negotiation(stage) else { return }
        var retrying = retrying
        let set = authenticationSet(stage, shared)
        while let method = gss.method {
            let entries = set.entries(for: method).filter { $0.canRun(as: .initiator) }
            guard gss.credentialIndex < entries.count, gss.attempts < shared.settings.maximumAuthenticationAttempts
            else { break }
            gss.attempts += 1
            gss.peerComplete = false
            do throws(GSSFailure) {
                var context = try entries[gss.credentialIndex].initiatorContext(
                    target: kerberosTarget(stage, announced: gss.peerPrincipalName, shared))
                let token = try context.step([], now: shared.now, random: &shared.random).token
                gss.context = context
                gss.started = true
                var flags: GSSFlags = [.newExchange]
                if retrying { flags.insert(.retryCurrentAuthentication) }
                if stage == .extendedMode { flags.formUnion(extendedModeFlags(shared)) }
                sendGSSRequest(
                    GSSPayload(token: token, flags: flags, status: retrying ? peerStatus : 0), stage, &gss, &shared)
                return
            } catch {
                gss.lastFailure = .local(error.status)
                if gss.credentialIndex + 1 < entries.count {
                    gss.credentialIndex += 1
                    retrying = true
                } else if gss.methodIndex + 1 < gss.methods.count {
                    // The responder moves to the next method on each NEW_GSS_EXCHANGE: a method
                    // this side cannot run is given up on the wire, with an empty token and the
                    // local status, so both sides stay on the same method.
                    gss.context = nil
                    gss.started = true
                    sendGSSRequest(
                        GSSPayload(token: [], flags: .newExchange, status: error.status.code), stage, &gss, &shared)
                    return
                } else {
                    gss.methodIndex += 1
                    break
                }
            }
        }
        setNegotiation(gss, stage)
        failNegotiation(stage, gss.lastFailure ?? .local(.errorIpsecIkeAuthFail), notifyPeer: true, &shared)
    }

    /// A GSS response (#4, and the EM rounds).
    mutating func receiveAuthenticationResponse(
        _ inbound: Inbound, stage: AuthenticationStage, _ shared: inout EndpointContext
    ) {
        guard var gss = negotiation(stage) else { return }
        if let code = inbound.statusCode, inbound.gss == nil {
            failNegotiation(stage, .remote(WindowsError.lookup(code)), notifyPeer: false, &shared)
            return
        }
        gss.transcript.append(inbound.transcriptMessage)
        guard let payload = inbound.gss else {
            setNegotiation(gss, stage)
            failNegotiation(stage, .local(.errorIpsecIkeInvalidPayload), notifyPeer: true, &shared)
            return
        }
        if payload.status != 0 {
            // The peer refused (or acknowledged this side giving up): the next credentials or method.
            if gss.context != nil || gss.lastFailure == nil {
                gss.lastFailure = .remote(WindowsError.lookup(payload.status))
            }
            if let context = gss.context, context.method == .tls { gss.peerChain = context.presentedCertificates }
            setNegotiation(gss, stage)
            moveOn(
                stage, peerAskedRetry: payload.flags.contains(.retryCurrentAuthentication), peerStatus: payload.status,
                &shared)
            return
        }
        guard var context = gss.context else {
            setNegotiation(gss, stage)
            failNegotiation(stage, .local(.errorIpsecIkeInvalidPayload), notifyPeer: true, &shared)
            return
        }
        if payload.flags.contains(.responderAuthComplete) { gss.peerComplete = true }
        var step = GSSStep.token([])
        if !context.isComplete {
            do throws(GSSFailure) {
                step = try context.step(payload.token, now: shared.now, random: &shared.random)
            } catch {
                gss.lastFailure = .local(error.status)
                if context.method == .tls { gss.peerChain = context.presentedCertificates }
                setNegotiation(gss, stage)
                moveOn(stage, peerAskedRetry: false, peerStatus: error.status.code, &shared)
                return
            }
        }
        // A context with nothing more to send whose last token the responder took without a
        // status is done on both sides: a responder that leaves GSS_RESPONDER_AUTH_COMPLETE
        // out gets no extra empty round (Docs/InteropProfile.md, "Tolerated variants").
        if context.isComplete, step == .token([]) { gss.peerComplete = true }
        gss.context = context
        continueInitiator(&gss, stage, step, &shared)
    }

    /// After a step of the initiator's context: wait for what it needs, done, or the next GSS
    /// request.
    mutating func continueInitiator(
        _ gss: inout GSSNegotiation, _ stage: AuthenticationStage, _ step: GSSStep,
        _ shared: inout EndpointContext
    ) {
        guard case .token(let token) = step else {
            if case .needs(.crls(let urls)) = step {
                suspend(
                    .crls(CRLWait(urls: Set(urls), deadline: crlDeadline(shared), requestKey: nil)), &gss, stage,
                    &shared)
            } else {
                setNegotiation(gss, stage)
                failNegotiation(stage, .local(.secEInternalError), notifyPeer: true, &shared)
            }
            return
        }
        guard let context = gss.context else { return }
        if context.isComplete && gss.peerComplete {
            if context.method == .tls { gss.peerChain = context.peerCertificates }
            switch checkResponder(stage, context: context, shared) {
            case .failure(let refusal):
                gss.lastFailure = .local(refusal)
                setNegotiation(gss, stage)
                failNegotiation(stage, .local(refusal), notifyPeer: true, &shared)
            case .success(let authorization):
                gss.authorization = authorization
                setNegotiation(gss, stage)
                switch stage {
                case .mainMode:
                    guard case .authenticating(let auth) = phase else { return }
                    establishKeys(auth, authorization, &shared)
                    startFirstQuickMode(&shared)
                case .extendedMode:
                    finishExtendedModeAuthentication(&shared)
                }
            }
            return
        }
        sendGSSRequest(GSSPayload(token: token), stage, &gss, &shared)
    }

    /// Sends a GSS request of `stage`, adds it to the transcript and puts the negotiation back.
    private mutating func sendGSSRequest(
        _ payload: GSSPayload, _ stage: AuthenticationStage, _ gss: inout GSSNegotiation,
        _ shared: inout EndpointContext
    ) {
        if stage == .extendedMode, extendedModeFraming == nil {
            extendedModeFraming = shared.settings.interop.extendedModeGSSFraming
        }
        let (exchange, messageID) = stage.framing(shared.settings.interop)
        gss.transcript.append(
            sendRequest(
                exchange: exchange, messageID: messageID, payloads: [.gss(payload)], purpose: stage.purpose, &shared))
        setNegotiation(gss, stage)
    }

    /// After a failure of the current credentials or method: the next credentials (when the
    /// responder asked for a retry), else the next method, else give up.
    mutating func moveOn(
        _ stage: AuthenticationStage, peerAskedRetry: Bool, peerStatus: UInt32, _ shared: inout EndpointContext
    ) {
        guard var gss = negotiation(stage) else { return }
        gss.context = nil
        let entries =
            gss.method.map { authenticationSet(stage, shared).entries(for: $0).filter { $0.canRun(as: .initiator) } }
            ?? []
        let retry = peerAskedRetry && gss.credentialIndex + 1 < entries.count
        if retry {
            gss.credentialIndex += 1
        } else {
            gss.methodIndex += 1
            gss.credentialIndex = 0
        }
        setNegotiation(gss, stage)
        initiateMethod(stage, retrying: retry, peerStatus: retry ? peerStatus : 0, &shared)
    }

    /// A negotiation failed: Main Mode or Extended Mode, whichever is running.
    mutating func failNegotiation(
        _ stage: AuthenticationStage, _ error: NegotiationError, notifyPeer: Bool,
        respondingTo key: ExchangeKey? = nil, reliably: Bool = true, _ shared: inout EndpointContext
    ) {
        if stage == .extendedMode || isInExtendedMode {
            failExtendedMode(error, notifyPeer: notifyPeer, respondingTo: key, &shared)
        } else {
            failMainMode(error, notifyPeer: notifyPeer, respondingTo: key, reliably: reliably, &shared)
        }
    }
}
