import Foundation

/// The requests to the driver still unanswered, one per key however many negotiations wait for
/// the answer (an account look-up, a CRL download): a request goes out again only once the
/// last one for its key has passed its deadline.
struct RequestLedger {
    private var outstanding: [String: Date] = [:]
    /// Past this many keys, those whose deadline passed are dropped as new ones come in.
    static let pruneThreshold = 4_096

    /// Notes that a negotiation waits for `key`; true when a request must go out.
    mutating func ask(_ key: String, deadline: Date, now: Date) -> Bool {
        if let pending = outstanding[key], pending > now { return false }
        if outstanding.count >= Self.pruneThreshold { outstanding = outstanding.filter { $0.value > now } }
        outstanding[key] = deadline
        return true
    }

    /// The answer for `key` came.
    mutating func answered(_ key: String) { outstanding[key] = nil }
}
