import AuthIPGSS
import AuthIPTrust
import Foundation

/// Accounts from a remote directory: a completed GSS step waits (`lookUpAccount` out,
/// `accountLookedUp` in) until the directory has answered for the peer's account, then
/// authorization runs on the answer. No negotiation thread ever waits on the directory.
extension Endpoint {
    /// The account a completed context needs looked up first, when the remote directory is in
    /// use and has no fresh answer for it.
    func accountToLookUp(context: any GSSContext, chain: [Certificate]) -> AccountQuery? {
        guard configuration.remoteDirectory != nil, context.method != .anonymous,
              let query = accountQuery(for: context, chain: chain) else { return nil }
        return accountCache.answer(for: query.key, at: now) == nil ? query : nil
    }

    /// Holds the step and asks for the account (once, however many negotiations wait for it).
    mutating func waitForAccount(_ session: inout MainModeSession, _ gss: inout GSSNegotiation, _ stage: AuthenticationStage,
                                 account: AccountQuery, requestKey: ExchangeKey, token: [UInt8]) {
        let timeout = configuration.remoteDirectory?.timeout ?? .seconds(10)
        let deadline = now.addingTimeInterval(timeout.seconds)
        gss.accountWait = AccountWait(key: account.key, deadline: deadline, requestKey: requestKey, token: token)
        if accountCache.ask(account.key, deadline: deadline, now: now) { outputs.append(.lookUpAccount(account, deadline: deadline)) }
        session.setNegotiation(gss, stage)
        store(session)
    }

    mutating func accountLookedUp(_ query: AccountQuery, _ lookup: AccountLookup) {
        guard let policy = configuration.remoteDirectory else { return }
        accountCache.record(query.key, lookup, now: now, lifetime: policy.cacheLifetime)
        for id in sessions.keys.sorted() {
            for stage in [AuthenticationStage.mainMode, .extendedMode] {
                guard var session = sessions[id], session.negotiation(stage)?.accountWait?.key == query.key else { continue }
                resumeAfterAccount(&session, stage)
            }
        }
    }

    /// Goes on with the held step: authorization now finds the answer in the cache.
    mutating func resumeAfterAccount(_ session: inout MainModeSession, _ stage: AuthenticationStage) {
        guard var gss = session.negotiation(stage), let wait = gss.accountWait else { return }
        gss.accountWait = nil
        answerCompletedStep(&session, &gss, stage, key: wait.requestKey, token: wait.token)
    }

    /// A directory that did not answer by the deadline is unavailable.
    mutating func expireAccountWaits(_ session: inout MainModeSession) {
        for stage in [AuthenticationStage.mainMode, .extendedMode] {
            guard let wait = session.negotiation(stage)?.accountWait, wait.deadline <= now,
                  let policy = configuration.remoteDirectory else { continue }
            accountCache.record(wait.key, .unavailable("no answer by the deadline"), now: now, lifetime: policy.cacheLifetime)
            resumeAfterAccount(&session, stage)
            return
        }
    }
}
