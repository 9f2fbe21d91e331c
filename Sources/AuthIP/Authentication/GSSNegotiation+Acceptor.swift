import AuthIPAccounts
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPTrust
import AuthIPWire
import Foundation

/// The responder's side of the GSS rounds, for Main Mode and Extended Mode alike.
extension MainModeMachine {
    /// A GSS request: the next token of the current method, a new method, or a retry with
    /// other credentials. A context that completes is then authorized.
    mutating func receiveAuthenticationRequest(
        _ inbound: Inbound, stage: AuthenticationStage, _ shared: inout EndpointContext
    ) {
        negotiationDeadline = shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds)
        guard var gss = negotiation(stage) else { return }
        if let code = inbound.statusCode, inbound.gss == nil {
            failNegotiation(stage, gss.failure(notified: code), notifyPeer: false, &shared)
            return
        }
        guard let payload = inbound.gss, gss.wait == nil else { return }
        let key = inbound.key
        let nextMethodIndex =
            gss.started && !payload.flags.contains(.retryCurrentAuthentication) ? gss.methodIndex + 1 : gss.methodIndex
        if payload.flags.contains(.newExchange), !payload.token.isEmpty, gss.methods.indices.contains(nextMethodIndex),
            gss.methods[nextMethodIndex] == .tls,
            !shared.tlsStarts.take(
                shared.settings.peerGroup(of: remote.ip), rate: shared.settings.tlsStartsPerSecond,
                burst: shared.settings.tlsStartBurst, now: shared.now)
        {
            // Past the peer's TLS rate: dropped unanswered, as if never received.
            shared.rateLimitedTLSStarts += 1
            channel.forget(inbound.digest)
            return
        }
        gss.transcript.append(inbound.transcriptMessage)
        gss.peerFlags.formUnion(payload.flags.intersection([.impersonationActive, .explicitCredentials]))
        if payload.flags.contains(.newExchange) {
            gss.methodIndex = nextMethodIndex
            gss.started = true
            gss.attempts += 1
            gss.starts[gss.methodIndex, default: 0] += 1
            gss.context = nil
            guard let method = gss.method, gss.attempts <= shared.settings.maximumAuthenticationAttempts,
                gss.starts[gss.methodIndex, default: 0] <= shared.settings.maximumStartsPerMethod,
                let entry = authenticationSet(stage, shared).entries(for: method).first(where: {
                    $0.canRun(as: .acceptor)
                })
            else {
                answerAuthentication(
                    &gss, stage, key: key, token: [], status: .errorIpsecIkeAuthFail, flags: [], &shared)
                return
            }
            if payload.status != 0 && payload.token.isEmpty {
                // The initiator cannot run this method: acknowledged with its status.
                gss.lastFailure = .remote(WindowsError.lookup(payload.status))
                gss.transcript.append(
                    sendResponse(to: key, payloads: [.gss(GSSPayload(token: [], status: payload.status))], &shared))
                setNegotiation(gss, stage)
                return
            }
            do throws(GSSFailure) {
                gss.context = try entry.acceptorContext()
            } catch {
                answerAuthentication(&gss, stage, key: key, token: [], status: error.status, flags: [], &shared)
                return
            }
        }
        guard var context = gss.context else {
            answerAuthentication(&gss, stage, key: key, token: [], status: .secEInvalidToken, flags: [], &shared)
            return
        }
        let step: GSSStep
        do throws(GSSFailure) {
            step = try context.step(payload.token, now: shared.now, random: &shared.random)
        } catch {
            answerAuthentication(
                &gss, stage, key: key, token: [], status: error.status,
                flags: Self.isCredentialSpecific(error.status) ? .retryCurrentAuthentication : [], &shared)
            return
        }
        gss.context = context
        continueAcceptor(&gss, stage, step, key: key, &shared)
    }

    /// After a step of the acceptor's context: wait for what it needs, or answer.
    mutating func continueAcceptor(
        _ gss: inout GSSNegotiation, _ stage: AuthenticationStage, _ step: GSSStep, key: ExchangeKey,
        _ shared: inout EndpointContext
    ) {
        switch step {
        case .needs(.crls(let urls)):
            suspend(
                .crls(CRLWait(urls: Set(urls), deadline: crlDeadline(shared), requestKey: key)), &gss, stage, &shared)
        case .needs(.domainController(let request)):
            let deadline = shared.now.addingTimeInterval(shared.settings.domainControllerTimeout.seconds)
            suspend(
                .domainController(
                    DomainControllerWait(serverChallenge: request.serverChallenge, deadline: deadline, requestKey: key)),
                &gss, stage, &shared)
            shared.outputs.append(.validateNTLM(request, deadline: deadline))
        case .token(let token):
            answerCompletedStep(&gss, stage, key: key, token: token, &shared)
        }
    }

    /// Answers a step that succeeded: when the context is complete, authorization decides
    /// between GSS_RESPONDER_AUTH_COMPLETE and a refusal.
    mutating func answerCompletedStep(
        _ gss: inout GSSNegotiation, _ stage: AuthenticationStage, key: ExchangeKey, token: [UInt8],
        _ shared: inout EndpointContext
    ) {
        guard let context = gss.context, context.isComplete else {
            answerAuthentication(&gss, stage, key: key, token: token, status: nil, flags: [], &shared)
            return
        }
        if context.method == .tls { gss.peerChain = context.peerCertificates }
        if let account = accountToLookUp(context: context, shared) {
            let timeout = shared.configuration.remoteDirectory?.timeout ?? .seconds(10)
            let deadline = shared.now.addingTimeInterval(timeout.seconds)
            suspend(
                .account(AccountWait(key: account.key, deadline: deadline, requestKey: key, token: token)), &gss, stage,
                &shared)
            if shared.accountCache.ask(account.key, deadline: deadline, now: shared.now) {
                shared.outputs.append(.lookUpAccount(account, deadline: deadline))
            }
            return
        }
        switch authorize(stage, context: context, peerFlags: gss.peerFlags, shared) {
        case .failure(let refusal):
            answerAuthentication(&gss, stage, key: key, token: [], status: refusal, flags: [], &shared)
        case .success(let authorization):
            gss.authorization = authorization
            answerAuthentication(
                &gss, stage, key: key, token: token, status: nil, flags: .responderAuthComplete, &shared)
        }
    }

    /// Whether another certificate could succeed where this one failed.
    static func isCredentialSpecific(_ status: WindowsError) -> Bool {
        [
            WindowsError.cryptERevoked, .certERevoked, .secEUntrustedRoot, .secECertExpired, .secECertWrongUsage,
            .secEIssuingCaUntrusted,
            .secECertUnknown, .cryptERevocationOffline, .secENoCredentials,
        ].contains(status)
    }

    /// Sends the GSS response; a failure status ends the current method (the initiator may
    /// go on with another) and is remembered for the event if the negotiation fails.
    mutating func answerAuthentication(
        _ gss: inout GSSNegotiation, _ stage: AuthenticationStage, key: ExchangeKey, token: [UInt8],
        status: WindowsError?, flags: GSSFlags, _ shared: inout EndpointContext
    ) {
        if let status {
            gss.lastFailure = .local(status)
            gss.lastPeerName = gss.context?.peerName ?? gss.lastPeerName
            if gss.peerChain.isEmpty { gss.peerChain = gss.context?.presentedCertificates ?? [] }
            gss.context = nil
        }
        var flags = flags
        if !shared.settings.interop.setsResponderAuthComplete { flags.remove(.responderAuthComplete) }
        let payload = GSSPayload(token: token, flags: flags, status: status?.code ?? 0)
        // The answer to a token in MM #1 is part of #2.
        var payloads: [Payload] = [.gss(payload)]
        if stage == .mainMode, let second = setPendingSecond(nil) { payloads = second.completed(with: .gss(payload)) }
        gss.transcript.append(sendResponse(to: key, payloads: payloads, &shared))
        setNegotiation(gss, stage)
    }

    /// The account a completed context needs looked up first, when the remote directory is in
    /// use and has no fresh answer for it.
    func accountToLookUp(context: any GSSContext, _ shared: EndpointContext) -> AccountQuery? {
        guard shared.configuration.remoteDirectory != nil, context.method != .anonymous,
            let query = Self.accountQuery(for: context)
        else { return nil }
        return shared.accountCache.answer(for: query.key, at: shared.now) == nil ? query : nil
    }
}
