import AuthIPJSON
import Foundation

/// How the calls a driver makes for its endpoint have gone, and how fast Main Modes end:
/// what `authip status` shows beside the endpoint's own figures.
struct DriverHealth {
    /// CRL downloads (strong revocation checking).
    var crlDownloads = ServiceHealth()
    /// Account look-ups and domain-controller checks.
    var directory = ServiceHealth()
    /// Main Modes established and failed, second by second over the last minute.
    var mainModes = OutcomeWindow()

    func json(at now: Date) -> [(String, JSONValue)] {
        let (established, failed) = mainModes.perSecond(at: now)
        return [
            ("negotiationsPerSecond", .double(established)),
            ("failedNegotiationsPerSecond", .double(failed)),
            ("crlDownloads", crlDownloads.json),
            ("directory", directory.json),
        ]
    }
}

/// The calls to one outside service: how many succeeded and failed since start, and the last
/// of each with the last failure's reason.
struct ServiceHealth {
    var succeeded = 0
    var failed = 0
    var lastSuccess: Date?
    var lastFailure: (date: Date, reason: String)?

    /// Counts one call: a failure has a reason.
    mutating func record(failure reason: String?, at now: Date) {
        if let reason {
            failed += 1
            lastFailure = (now, reason)
        } else {
            succeeded += 1
            lastSuccess = now
        }
    }

    var json: JSONValue {
        let formatter = ISO8601DateFormatter()
        var members: [(String, JSONValue)] = [("succeeded", .number(succeeded)), ("failed", .number(failed))]
        if let lastSuccess { members.append(("lastSuccess", .string(formatter.string(from: lastSuccess)))) }
        if let lastFailure {
            members.append(("lastFailure", .string(formatter.string(from: lastFailure.date))))
            members.append(("lastFailureReason", .string(lastFailure.reason)))
        }
        return .object(members)
    }
}

/// Outcomes counted in one-second buckets over a sliding minute.
struct OutcomeWindow {
    static let seconds = 60
    private var buckets = [(second: Int, established: Int, failed: Int)](
        repeating: (-1, 0, 0), count: OutcomeWindow.seconds)

    mutating func record(established: Bool, at now: Date) {
        let second = Int(now.timeIntervalSince1970.rounded(.down))
        let index = second % Self.seconds
        if buckets[index].second != second { buckets[index] = (second, 0, 0) }
        if established { buckets[index].established += 1 } else { buckets[index].failed += 1 }
    }

    /// The mean rates over the last minute.
    func perSecond(at now: Date) -> (established: Double, failed: Double) {
        let second = Int(now.timeIntervalSince1970.rounded(.down))
        let recent = buckets.filter { $0.second > second - Self.seconds && $0.second <= second }
        let scale = Double(Self.seconds)
        return (
            Double(recent.map(\.established).reduce(0, +)) / scale, Double(recent.map(\.failed).reduce(0, +)) / scale
        )
    }
}
