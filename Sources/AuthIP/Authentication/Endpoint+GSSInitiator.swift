import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPWire
import Foundation

/// The initiator's side of the GSS rounds, for Main Mode and Extended Mode alike.
extension Endpoint {
    /// The methods and credentials of a stage.
    func authenticationSet(_ session: MainModeSession, _ stage: AuthenticationStage) -> AuthenticationSet {
        switch stage {
        case .mainMode: return rules[session.ruleIndex].mainModeAuthentication
        case .extendedMode:
            let index = session.established?.extended?.ruleIndex ?? session.ruleIndex
            return rules[index].extendedMode?.authentication ?? AuthenticationSet([])
        }
    }

    /// The flags every first token of an Extended Mode method carries (MS-AIPS 5.8).
    func extendedModeFlags(_ session: MainModeSession) -> GSSFlags {
        guard let index = session.established?.extended?.ruleIndex, let policy = rules[index].extendedMode else { return [] }
        var flags: GSSFlags = []
        if policy.impersonate { flags.insert(.impersonationActive) }
        if policy.credentialsAreExplicit { flags.insert(.explicitCredentials) }
        return flags
    }

    /// Starts (or restarts) the current method's GSS exchange with the current credentials;
    /// moves on through credentials and methods while starting fails locally, and fails the
    /// negotiation when none is left.
    mutating func initiateMethod(_ session: inout MainModeSession, _ stage: AuthenticationStage, retrying: Bool, peerStatus: UInt32) {
        guard var gss = session.negotiation(stage) else { return }
        var retrying = retrying
        let set = authenticationSet(session, stage)
        while let method = gss.method {
            let entries = set.entries(for: method).filter { $0.canRun(as: .initiator) }
            guard gss.credentialIndex < entries.count, gss.attempts < settings.maximumAuthenticationAttempts else { break }
            gss.attempts += 1
            gss.peerComplete = false
            do throws(GSSFailure) {
                var context = try entries[gss.credentialIndex].initiatorContext(
                    target: kerberosTarget(session, stage, announced: gss.peerPrincipalName))
                let token = try context.step([], now: now, random: &random)
                gss.context = context
                gss.started = true
                var flags: GSSFlags = [.newExchange]
                if retrying { flags.insert(.retryCurrentAuthentication) }
                if stage == .extendedMode { flags.formUnion(extendedModeFlags(session)) }
                let payloads: [Payload] = [.gss(GSSPayload(token: token, flags: flags, status: retrying ? peerStatus : 0))]
                gss.transcript.append(sendRequest(&session, exchange: stage.exchange, messageID: stage.messageID, payloads: payloads,
                                                  purpose: stage.purpose))
                session.setNegotiation(gss, stage)
                store(session)
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
                    let payloads: [Payload] = [.gss(GSSPayload(token: [], flags: .newExchange, status: error.status.code))]
                    gss.transcript.append(sendRequest(&session, exchange: stage.exchange, messageID: stage.messageID, payloads: payloads,
                                                      purpose: stage.purpose))
                    session.setNegotiation(gss, stage)
                    store(session)
                    return
                } else {
                    gss.methodIndex += 1
                    break
                }
            }
        }
        session.setNegotiation(gss, stage)
        failNegotiation(&session, stage, gss.lastFailure ?? .local(.errorIpsecIkeAuthFail), notifyPeer: true)
    }

    /// A GSS response (#4, and the EM rounds).
    mutating func receiveAuthenticationResponse(_ inbound: Inbound, session: MainModeSession, stage: AuthenticationStage) {
        var session = session
        guard var gss = session.negotiation(stage) else {
            store(session)
            return
        }
        if let code = inbound.statusCode, inbound.gss == nil {
            failNegotiation(&session, stage, .remote(WindowsError.lookup(code)), notifyPeer: false)
            return
        }
        gss.transcript.append(inbound.chain)
        guard let payload = inbound.gss else {
            session.setNegotiation(gss, stage)
            failNegotiation(&session, stage, .local(.errorIpsecIkeInvalidPayload), notifyPeer: true)
            return
        }
        if payload.status != 0 {
            // The peer refused (or acknowledged this side giving up): the next credentials or method.
            if gss.context != nil || gss.lastFailure == nil { gss.lastFailure = .remote(WindowsError.lookup(payload.status)) }
            if let tls = gss.context as? TLSContext { gss.peerChain = tls.presentedChain }
            session.setNegotiation(gss, stage)
            moveOn(&session, stage, peerAskedRetry: payload.flags.contains(.retryCurrentAuthentication), peerStatus: payload.status)
            return
        }
        guard var context = gss.context else {
            session.setNegotiation(gss, stage)
            failNegotiation(&session, stage, .local(.errorIpsecIkeInvalidPayload), notifyPeer: true)
            return
        }
        if payload.flags.contains(.responderAuthComplete) { gss.peerComplete = true }
        var token: [UInt8] = []
        if !context.isComplete {
            do throws(GSSFailure) {
                token = try context.step(payload.token, now: now, random: &random)
            } catch {
                gss.lastFailure = .local(error.status)
                if let tls = context as? TLSContext { gss.peerChain = tls.presentedChain }
                session.setNegotiation(gss, stage)
                moveOn(&session, stage, peerAskedRetry: false, peerStatus: error.status.code)
                return
            }
        }
        gss.context = context
        session.setNegotiation(gss, stage)
        if let pending = (context as? TLSContext)?.pendingCRLDownloads, !pending.isEmpty {
            waitForCRLs(&session, stage, urls: pending, requestKey: nil)
            return
        }
        continueAuthentication(&session, stage, token: token)
    }

    /// After a step of the initiator's context: done, or the next GSS request.
    mutating func continueAuthentication(_ session: inout MainModeSession, _ stage: AuthenticationStage, token: [UInt8]) {
        guard var gss = session.negotiation(stage), let context = gss.context else { return }
        if context.isComplete && gss.peerComplete {
            if let tls = context as? TLSContext { gss.peerChain = tls.peerChain }
            let authorization: Authorization
            switch checkResponder(session, stage, context: context) {
            case .failure(let refusal):
                gss.lastFailure = .local(refusal)
                session.setNegotiation(gss, stage)
                failNegotiation(&session, stage, .local(refusal), notifyPeer: true)
                return
            case .success(let granted):
                authorization = granted
            }
            gss.authorization = authorization
            session.setNegotiation(gss, stage)
            switch stage {
            case .mainMode:
                guard case .authenticating(let auth) = session.phase else { return }
                establishKeys(&session, auth, authorization)
                startFirstQuickMode(&session)
            case .extendedMode:
                finishExtendedModeAuthentication(&session)
            }
            return
        }
        gss.transcript.append(sendRequest(&session, exchange: stage.exchange, messageID: stage.messageID,
                                          payloads: [.gss(GSSPayload(token: token))], purpose: stage.purpose))
        session.setNegotiation(gss, stage)
        store(session)
    }

    /// After a failure of the current credentials or method: the next credentials (when the
    /// responder asked for a retry), else the next method, else give up.
    mutating func moveOn(_ session: inout MainModeSession, _ stage: AuthenticationStage, peerAskedRetry: Bool, peerStatus: UInt32) {
        guard var gss = session.negotiation(stage) else { return }
        gss.context = nil
        let entries = gss.method.map { authenticationSet(session, stage).entries(for: $0).filter { $0.canRun(as: .initiator) } } ?? []
        let retry = peerAskedRetry && gss.credentialIndex + 1 < entries.count
        if retry {
            gss.credentialIndex += 1
        } else {
            gss.methodIndex += 1
            gss.credentialIndex = 0
        }
        session.setNegotiation(gss, stage)
        initiateMethod(&session, stage, retrying: retry, peerStatus: retry ? peerStatus : 0)
    }

    /// A negotiation failed: Main Mode or Extended Mode, whichever is running.
    mutating func failNegotiation(_ session: inout MainModeSession, _ stage: AuthenticationStage, _ error: NegotiationError,
                                  notifyPeer: Bool, respondingTo key: ExchangeKey? = nil, reliably: Bool = true) {
        if stage == .extendedMode || session.established?.extended != nil {
            failExtendedMode(&session, error, notifyPeer: notifyPeer, respondingTo: key)
        } else {
            failMainMode(&session, error, notifyPeer: notifyPeer, respondingTo: key, reliably: reliably)
        }
    }
}
