import AuthIPAccounts
import AuthIPGSS
import AuthIPTrust
import Foundation

/// What a GSS step waits for from outside, and the answers: CRL downloads (strong revocation
/// checking), the remote directory's answer on the peer's account, the domain controller's check
/// of an NTLM response. A waiting negotiation takes no new token; no thread ever waits.
extension MainModeMachine {
    /// The GSS negotiation of a stage, while that stage runs.
    func negotiation(_ stage: AuthenticationStage) -> GSSNegotiation? {
        switch phase {
        case .authenticating(let auth): return stage == .mainMode ? auth.gss : nil
        case .extendedMode(_, let em): return stage == .extendedMode ? em.negotiation : nil
        default: return nil
        }
    }

    /// Puts a stage's GSS negotiation back.
    mutating func setNegotiation(_ gss: GSSNegotiation, _ stage: AuthenticationStage) {
        switch phase {
        case .authenticating(var auth) where stage == .mainMode:
            phase = .closing(nil)
            auth.gss = gss
            phase = .authenticating(auth)
        case .extendedMode(let mm, var em) where stage == .extendedMode:
            phase = .closing(nil)
            em.setNegotiation(gss)
            phase = .extendedMode(mm, em)
        default:
            break
        }
    }

    /// When CRL downloads asked for now give up.
    func crlDeadline(_ shared: EndpointContext) -> Date {
        shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds / 2)
    }

    /// Suspends the negotiation until `wait` is answered; CRLs are asked for (once per URL
    /// however many negotiations wait for it).
    mutating func suspend(
        _ wait: ExternalWait, _ gss: inout GSSNegotiation, _ stage: AuthenticationStage, _ shared: inout EndpointContext
    ) {
        gss.wait = wait
        shared.awaitAnswers(wait, session: id)
        if case .crls(let crls) = wait {
            for url in crls.urls.sorted() where shared.crlDownloads.ask(url, deadline: crls.deadline, now: shared.now) {
                shared.outputs.append(.fetchCRL(url: url, deadline: crls.deadline))
            }
        }
        setNegotiation(gss, stage)
    }

    /// Ends a negotiation's wait, which no longer has answers to expect.
    mutating func endWait(_ gss: inout GSSNegotiation, _ shared: inout EndpointContext) -> ExternalWait? {
        guard let wait = gss.wait else { return nil }
        gss.wait = nil
        shared.stopAwaiting(wait, session: id)
        return wait
    }

    /// The driver's answer under `key` for whichever stage waits for it.
    mutating func answer(_ key: WaitKey, _ answer: ExternalAnswer, _ shared: inout EndpointContext) {
        for (stage, gss) in negotiations where gss.wait?.keys.contains(key) == true {
            switch answer {
            case .crl(let url, let result): crlFetched(url: url, result: result, stage, &shared)
            case .account: resumeAfterAccount(stage, &shared)
            case .domainController(let validation): resumeAfterDomainController(stage, validation, &shared)
            }
            return
        }
    }

    private mutating func crlFetched(
        url: String, result: CRLDownload, _ stage: AuthenticationStage, _ shared: inout EndpointContext
    ) {
        guard var gss = negotiation(stage), case .crls(var wait) = gss.wait, wait.urls.contains(url),
            wait.results[url] == nil
        else { return }
        wait.results[url] = result
        gss.wait = .crls(wait)
        setNegotiation(gss, stage)
        if wait.results.count == wait.urls.count { resumeAfterCRLs(stage, &shared) }
    }

    /// Gives the downloads (or their failure at the deadline) to the TLS context and goes on.
    mutating func resumeAfterCRLs(_ stage: AuthenticationStage, _ shared: inout EndpointContext) {
        guard var gss = negotiation(stage), case .crls(let wait)? = endWait(&gss, &shared), var context = gss.context
        else { return }
        var results = wait.results
        for url in wait.urls where results[url] == nil { results[url] = .failed("no answer by the deadline") }
        do throws(GSSFailure) {
            let step = try context.resume(.crls(results), now: shared.now)
            gss.context = context
            if let key = wait.requestKey {
                continueAcceptor(&gss, stage, step, key: key, &shared)
            } else {
                continueInitiator(&gss, stage, step, &shared)
            }
        } catch {
            if let key = wait.requestKey {
                answerAuthentication(
                    &gss, stage, key: key, token: [], status: error.status,
                    flags: Self.isCredentialSpecific(error.status) ? .retryCurrentAuthentication : [], &shared)
            } else {
                gss.lastFailure = .local(error.status)
                gss.peerChain = context.presentedCertificates
                setNegotiation(gss, stage)
                moveOn(stage, peerAskedRetry: false, peerStatus: error.status.code, &shared)
            }
        }
    }

    /// Goes on with the held step: authorization now finds the answer in the cache.
    mutating func resumeAfterAccount(_ stage: AuthenticationStage, _ shared: inout EndpointContext) {
        guard var gss = negotiation(stage), case .account(let wait)? = endWait(&gss, &shared) else { return }
        answerCompletedStep(&gss, stage, key: wait.requestKey, token: wait.token, &shared)
    }

    /// Completes the NTLM context with the DC's answer and answers the held request.
    mutating func resumeAfterDomainController(
        _ stage: AuthenticationStage, _ validation: NTLMValidation, _ shared: inout EndpointContext
    ) {
        guard var gss = negotiation(stage), case .domainController(let wait)? = endWait(&gss, &shared),
            var context = gss.context
        else { return }
        do throws(GSSFailure) {
            let step = try context.resume(.domainController(validation), now: shared.now)
            gss.context = context
            answerCompletedStep(&gss, stage, key: wait.requestKey, token: step.token, &shared)
        } catch {
            gss.context = context
            answerAuthentication(&gss, stage, key: wait.requestKey, token: [], status: error.status, flags: [], &shared)
        }
    }

    /// Waits whose deadline passed: CRL downloads count as failed, a directory that did not
    /// answer as unavailable, a DC that did not answer as unreachable.
    mutating func expireWaits(_ shared: inout EndpointContext) {
        for (stage, gss) in negotiations {
            guard let wait = gss.wait, wait.deadline <= shared.now else { continue }
            switch wait {
            case .crls:
                resumeAfterCRLs(stage, &shared)
            case .account(let account):
                if let policy = shared.configuration.remoteDirectory {
                    shared.accountCache.record(
                        account.key, .unavailable("no answer by the deadline"), now: shared.now,
                        lifetime: policy.cacheLifetime)
                }
                resumeAfterAccount(stage, &shared)
            case .domainController:
                resumeAfterDomainController(stage, .unavailable("no answer by the deadline"), &shared)
            }
            return
        }
    }
}

/// An answer of the driver, as the sessions waiting for it take it.
enum ExternalAnswer {
    case crl(url: String, result: CRLDownload)
    /// The account's answer is in the cache.
    case account
    case domainController(NTLMValidation)
}
