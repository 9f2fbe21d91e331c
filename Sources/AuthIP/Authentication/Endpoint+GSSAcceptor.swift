import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPTrust
import AuthIPWire
import Foundation

/// The responder's side of the GSS rounds, for Main Mode and Extended Mode alike.
extension Endpoint {
    /// A GSS request: the next token of the current method, a new method, or a retry with
    /// other credentials. A context that completes is then authorized.
    mutating func receiveAuthenticationRequest(_ inbound: Inbound, session: MainModeSession, stage: AuthenticationStage) {
        var session = session
        session.negotiationDeadline = now.addingTimeInterval(settings.responderTimeout.seconds)
        guard var gss = session.negotiation(stage) else {
            store(session)
            return
        }
        if let code = inbound.statusCode, inbound.gss == nil {
            failNegotiation(&session, stage, .remote(WindowsError.lookup(code)), notifyPeer: false)
            return
        }
        guard let payload = inbound.gss, !gss.isWaiting else {
            store(session)
            return
        }
        let key = inbound.key
        let nextMethodIndex = gss.started && !payload.flags.contains(.retryCurrentAuthentication) ? gss.methodIndex + 1 : gss.methodIndex
        if payload.flags.contains(.newExchange), !payload.token.isEmpty, gss.methods.indices.contains(nextMethodIndex),
           gss.methods[nextMethodIndex] == .tls,
           !tlsStarts.take(settings.peerGroup(of: session.remote.ip), rate: settings.tlsStartsPerSecond, burst: settings.tlsStartBurst, now: now) {
            // Past the peer's TLS rate: dropped unanswered, as if never received.
            rateLimitedTLSStarts += 1
            session.channel.forget(key)
            store(session)
            return
        }
        gss.transcript.append(inbound.chain)
        gss.peerFlags.formUnion(payload.flags.intersection([.impersonationActive, .explicitCredentials]))
        if payload.flags.contains(.newExchange) {
            gss.methodIndex = nextMethodIndex
            gss.started = true
            gss.attempts += 1
            gss.starts[gss.methodIndex, default: 0] += 1
            gss.context = nil
            guard let method = gss.method, gss.attempts <= settings.maximumAuthenticationAttempts,
                  gss.starts[gss.methodIndex, default: 0] <= settings.maximumStartsPerMethod,
                  let entry = authenticationSet(session, stage).entries(for: method).first(where: { $0.canRun(as: .acceptor) }) else {
                answerAuthentication(&session, &gss, stage, key: key, token: [], status: .errorIpsecIkeAuthFail, flags: [])
                return
            }
            if payload.status != 0 && payload.token.isEmpty {
                // The initiator cannot run this method: acknowledged with its status.
                gss.lastFailure = .remote(WindowsError.lookup(payload.status))
                let reply = GSSPayload(token: [], status: payload.status)
                gss.transcript.append(sendResponse(&session, to: key, payloads: [.gss(reply)]))
                session.setNegotiation(gss, stage)
                store(session)
                return
            }
            do throws(GSSFailure) {
                gss.context = try entry.acceptorContext()
            } catch {
                answerAuthentication(&session, &gss, stage, key: key, token: [], status: error.status, flags: [])
                return
            }
        }
        guard var context = gss.context else {
            answerAuthentication(&session, &gss, stage, key: key, token: [], status: .secEInvalidToken, flags: [])
            return
        }
        do throws(GSSFailure) {
            let token = try context.step(payload.token, now: now, random: &random)
            gss.context = context
            if let pending = (context as? TLSContext)?.pendingCRLDownloads, !pending.isEmpty {
                session.setNegotiation(gss, stage)
                waitForCRLs(&session, stage, urls: pending, requestKey: key)
                return
            }
            if let request = (context as? NTLMAcceptorContext)?.pendingValidation {
                waitForDomainController(&session, &gss, stage, request: request, requestKey: key)
                return
            }
            answerCompletedStep(&session, &gss, stage, key: key, token: token)
        } catch {
            answerAuthentication(&session, &gss, stage, key: key, token: [], status: error.status,
                                 flags: Self.isCredentialSpecific(error.status) ? .retryCurrentAuthentication : [])
        }
    }

    /// Answers a step that succeeded: when the context is complete, authorization decides
    /// between GSS_RESPONDER_AUTH_COMPLETE and a refusal.
    mutating func answerCompletedStep(_ session: inout MainModeSession, _ gss: inout GSSNegotiation, _ stage: AuthenticationStage,
                                      key: ExchangeKey, token: [UInt8]) {
        guard let context = gss.context, context.isComplete else {
            answerAuthentication(&session, &gss, stage, key: key, token: token, status: nil, flags: [])
            return
        }
        if let tls = context as? TLSContext { gss.peerChain = tls.peerChain }
        if let account = accountToLookUp(context: context, chain: gss.peerChain) {
            waitForAccount(&session, &gss, stage, account: account, requestKey: key, token: token)
            return
        }
        switch authorize(session, stage, context: context, peerFlags: gss.peerFlags) {
        case .failure(let refusal):
            answerAuthentication(&session, &gss, stage, key: key, token: [], status: refusal, flags: [])
        case .success(let authorization):
            gss.authorization = authorization
            answerAuthentication(&session, &gss, stage, key: key, token: token, status: nil, flags: .responderAuthComplete)
        }
    }

    /// Whether another certificate could succeed where this one failed.
    static func isCredentialSpecific(_ status: WindowsError) -> Bool {
        [WindowsError.cryptERevoked, .certERevoked, .secEUntrustedRoot, .secECertExpired, .secECertWrongUsage, .secEIssuingCaUntrusted,
         .secECertUnknown, .cryptERevocationOffline, .secENoCredentials].contains(status)
    }

    /// Sends the GSS response; a failure status ends the current method (the initiator may
    /// go on with another) and is remembered for the event if the negotiation fails.
    mutating func answerAuthentication(_ session: inout MainModeSession, _ gss: inout GSSNegotiation, _ stage: AuthenticationStage,
                                       key: ExchangeKey, token: [UInt8], status: WindowsError?, flags: GSSFlags) {
        if let status {
            gss.lastFailure = .local(status)
            gss.lastPeerName = gss.context?.peerName ?? gss.lastPeerName
            if let tls = gss.context as? TLSContext, gss.peerChain.isEmpty { gss.peerChain = tls.presentedChain }
            gss.context = nil
        }
        let payload = GSSPayload(token: token, flags: flags, status: status?.code ?? 0)
        gss.transcript.append(sendResponse(&session, to: key, payloads: [.gss(payload)]))
        session.setNegotiation(gss, stage)
        store(session)
    }

    // MARK: - CRL downloads

    /// Suspends the exchange until the CRLs are fetched (strong revocation checking).
    mutating func waitForCRLs(_ session: inout MainModeSession, _ stage: AuthenticationStage, urls: [String], requestKey: ExchangeKey?) {
        guard var gss = session.negotiation(stage) else { return }
        let deadline = now.addingTimeInterval(settings.responderTimeout.seconds / 2)
        gss.crlWait = CRLWait(urls: Set(urls), deadline: deadline, requestKey: requestKey)
        for url in urls.sorted() where crlDownloads.ask(url, deadline: deadline, now: now) {
            outputs.append(.fetchCRL(url: url, deadline: deadline))
        }
        session.setNegotiation(gss, stage)
        store(session)
    }

    mutating func crlFetched(url: String, result: CRLDownload) {
        crlDownloads.answered(url)
        for id in sessions.keys.sorted() {
            for stage in [AuthenticationStage.mainMode, .extendedMode] {
                guard var session = sessions[id], var gss = session.negotiation(stage), var wait = gss.crlWait,
                      wait.urls.contains(url), wait.results[url] == nil else { continue }
                wait.results[url] = result
                gss.crlWait = wait
                session.setNegotiation(gss, stage)
                if wait.results.count == wait.urls.count {
                    resumeAfterCRLs(&session, stage)
                } else {
                    store(session)
                }
            }
        }
    }

    /// Gives the downloads (or their failure at the deadline) to the TLS context and goes on.
    mutating func resumeAfterCRLs(_ session: inout MainModeSession, _ stage: AuthenticationStage) {
        guard var gss = session.negotiation(stage), let wait = gss.crlWait, let tls = gss.context as? TLSContext else { return }
        gss.crlWait = nil
        var results = wait.results
        for url in wait.urls where results[url] == nil { results[url] = .failed("no answer by the deadline") }
        do throws(GSSFailure) {
            let token = try tls.resume(withCRLs: results)
            session.setNegotiation(gss, stage)
            if !tls.pendingCRLDownloads.isEmpty {
                waitForCRLs(&session, stage, urls: tls.pendingCRLDownloads, requestKey: wait.requestKey)
            } else if let key = wait.requestKey {
                answerCompletedStep(&session, &gss, stage, key: key, token: token)
            } else {
                continueAuthentication(&session, stage, token: token)
            }
        } catch {
            if let key = wait.requestKey {
                answerAuthentication(&session, &gss, stage, key: key, token: [], status: error.status,
                                     flags: Self.isCredentialSpecific(error.status) ? .retryCurrentAuthentication : [])
            } else {
                gss.lastFailure = .local(error.status)
                gss.peerChain = tls.presentedChain
                session.setNegotiation(gss, stage)
                moveOn(&session, stage, peerAskedRetry: false, peerStatus: error.status.code)
            }
        }
    }

    /// CRL downloads that did not come back by their deadline count as failed.
    mutating func expireCRLWaits(_ session: inout MainModeSession) {
        for stage in [AuthenticationStage.mainMode, .extendedMode] {
            if let wait = session.negotiation(stage)?.crlWait, wait.deadline <= now {
                resumeAfterCRLs(&session, stage)
                return
            }
        }
    }
}
