import AuthIPAccounts
import AuthIPTrust
import Foundation

/// The driver's answers to the engine's requests, routed to the sessions that wait for them by
/// the key they were asked under.
extension Endpoint {
    mutating func crlFetched(url: String, result: CRLDownload) {
        context.crlDownloads.answered(url)
        deliver(.crl(url), .crl(url: url, result: result))
    }

    mutating func accountLookedUp(_ query: AccountQuery, _ lookup: AccountLookup) {
        guard let policy = configuration.remoteDirectory else { return }
        context.accountCache.record(query.key, lookup, now: now, lifetime: policy.cacheLifetime)
        deliver(.account(query.key), .account)
    }

    mutating func ntlmValidated(_ request: NTLMValidationRequest, _ validation: NTLMValidation) {
        deliver(.domainController(request.serverChallenge), .domainController(validation), onlyFirst: true)
    }

    private mutating func deliver(_ key: WaitKey, _ answer: ExternalAnswer, onlyFirst: Bool = false) {
        let waiting = (context.waiters[key] ?? []).sorted()
        for id in onlyFirst ? Array(waiting.prefix(1)) : waiting {
            withSession(id) { $0.answer(key, answer, &$1) }
        }
    }
}
