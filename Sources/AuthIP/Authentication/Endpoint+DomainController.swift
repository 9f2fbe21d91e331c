import AuthIPGSS
import Foundation

/// NTLM checked by the domain controller: the AUTHENTICATE step waits (`validateNTLM` out,
/// `ntlmValidated` in) while the DC checks the response, then the context completes with the
/// session key the DC returned. The server holds no NT hashes.
extension Endpoint {
    mutating func waitForDomainController(_ session: inout MainModeSession, _ gss: inout GSSNegotiation, _ stage: AuthenticationStage,
                                          request: NTLMValidationRequest, requestKey: ExchangeKey) {
        let deadline = now.addingTimeInterval(settings.domainControllerTimeout.seconds)
        gss.domainControllerWait = DomainControllerWait(serverChallenge: request.serverChallenge, deadline: deadline, requestKey: requestKey)
        outputs.append(.validateNTLM(request, deadline: deadline))
        session.setNegotiation(gss, stage)
        store(session)
    }

    mutating func ntlmValidated(_ request: NTLMValidationRequest, _ validation: NTLMValidation) {
        for id in sessions.keys.sorted() {
            for stage in [AuthenticationStage.mainMode, .extendedMode] {
                guard var session = sessions[id],
                      session.negotiation(stage)?.domainControllerWait?.serverChallenge == request.serverChallenge else { continue }
                resumeAfterDomainController(&session, stage, validation)
                return
            }
        }
    }

    /// Completes the NTLM context with the DC's answer and answers the held request.
    mutating func resumeAfterDomainController(_ session: inout MainModeSession, _ stage: AuthenticationStage, _ validation: NTLMValidation) {
        guard var gss = session.negotiation(stage), let wait = gss.domainControllerWait, var ntlm = gss.context as? NTLMAcceptorContext else {
            return
        }
        gss.domainControllerWait = nil
        do throws(GSSFailure) {
            try ntlm.resume(with: validation, now: now)
            gss.context = ntlm
            answerCompletedStep(&session, &gss, stage, key: wait.requestKey, token: [])
        } catch {
            gss.context = ntlm
            answerAuthentication(&session, &gss, stage, key: wait.requestKey, token: [], status: error.status, flags: [])
        }
    }

    /// A DC that did not answer by the deadline could not be contacted.
    mutating func expireDomainControllerWaits(_ session: inout MainModeSession) {
        for stage in [AuthenticationStage.mainMode, .extendedMode] {
            guard let wait = session.negotiation(stage)?.domainControllerWait, wait.deadline <= now else { continue }
            resumeAfterDomainController(&session, stage, .unavailable("no answer by the deadline"))
            return
        }
    }
}
