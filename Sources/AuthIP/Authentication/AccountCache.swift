import AuthIPAccounts
import AuthIPGSS
import Foundation

/// The remote directory's answers, each used until it expires, and the look-ups outstanding
/// (one request per account however many negotiations wait for it).
struct AccountCache {
    private var answers: [String: (lookup: AccountLookup, expires: Date)] = [:]
    private var outstanding = RequestLedger()
    /// Past this many answers, expired ones are dropped as new ones come in.
    static let pruneThreshold = 4_096

    /// A fresh answer for the account `key`, if any.
    func answer(for key: String, at now: Date) -> AccountLookup? {
        guard let entry = answers[key], entry.expires >= now else { return nil }
        return entry.lookup
    }

    /// Notes that a negotiation waits for `key`; true when a request must go out (none is
    /// outstanding, or the last one passed its deadline).
    mutating func ask(_ key: String, deadline: Date, now: Date) -> Bool {
        outstanding.ask(key, deadline: deadline, now: now)
    }

    /// Records an answer. An unavailable directory is not remembered past `now`: the next
    /// negotiation asks again.
    mutating func record(_ key: String, _ lookup: AccountLookup, now: Date, lifetime: Duration) {
        outstanding.answered(key)
        if answers.count >= Self.pruneThreshold { answers = answers.filter { $0.value.expires >= now } }
        if case .unavailable = lookup {
            answers[key] = (lookup, now)
        } else {
            answers[key] = (lookup, now.addingTimeInterval(lifetime.seconds))
        }
    }

    /// Forgets every answer (the block list changed, so accounts are checked afresh).
    mutating func removeAll() { answers.removeAll() }
}
