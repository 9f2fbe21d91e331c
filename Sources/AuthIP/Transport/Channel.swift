import AuthIPWire
import Foundation

/// Identifies one request/response pair of an exchange: exchange type, message ID and the
/// seqNUM the response echoes.
struct ExchangeKey: Hashable {
    var exchange: ExchangeType
    var messageID: UInt32
    var sequence: UInt32
}

/// What an outstanding request was for, so that running out of retransmissions fails the
/// right thing.
enum RequestPurpose: Hashable {
    /// A Main Mode message (#1, GSS rounds, #5).
    case mainMode
    /// A Quick Mode message of the exchange with this message ID.
    case quickMode(UInt32)
    /// An Extended Mode message.
    case extendedMode
    /// A reliable notify.
    case notify
}

/// A request sent and not yet answered, with its retransmission schedule.
struct OutstandingRequest {
    var datagrams: [[UInt8]]
    var purpose: RequestPurpose
    var retransmissions = 0
    var maximumRetransmissions: Int
    var interval: Duration
    var nextAttempt: Date
}

/// The message bookkeeping of one MM SA (MS-AIPS 2.2.3.3 and 3.1.4): the seqNUM counter per
/// exchange type for requests this side starts, a window of the peer's requests per exchange
/// type (64 back from the highest, so that concurrent and reordered exchanges pass and
/// replays do not), the responses sent recently (re-sent when a request comes again) and the
/// requests awaiting a response (retransmitted until they get one).
struct Channel {
    /// The peer's requests of one exchange type seen so far.
    private struct Window {
        var highest: UInt32
        /// Bit i: `highest - i` was seen.
        var seen: UInt64
    }

    /// How long a response is kept for the peer's retransmissions of its request.
    static let responseLifetime: TimeInterval = 120

    private var nextSequence: [ExchangeType: UInt32] = [:]
    private var windows: [ExchangeType: Window] = [:]
    private var responses: [ExchangeKey: (datagrams: [[UInt8]], expires: Date)] = [:]
    private(set) var outstanding: [ExchangeKey: OutstandingRequest] = [:]
    /// The last requests of this side that were answered: late duplicates of their responses
    /// are dropped quietly.
    private var recentlyAnswered: [ExchangeKey] = []

    /// The seqNUM for the next request of this exchange type.
    mutating func takeSequence(_ exchange: ExchangeType) -> UInt32 {
        let value = nextSequence[exchange, default: 0]
        nextSequence[exchange] = value &+ 1
        return value
    }

    /// How a request from the peer relates to what came before.
    enum RequestStatus: Equatable {
        /// New: process it.
        case new
        /// A request answered recently: send the cached response again.
        case duplicate([[UInt8]])
        /// The request being processed (its answer not sent yet): ignore.
        case inProgress
        /// Seen long ago, or older than the window: a replay.
        case replay
    }

    func classify(_ key: ExchangeKey, now: Date) -> RequestStatus {
        if let cached = responses[key], cached.expires > now { return .duplicate(cached.datagrams) }
        guard let window = windows[key.exchange], key.sequence <= window.highest else { return .new }
        let offset = window.highest - key.sequence
        guard offset < 64 else { return .replay }
        if window.seen & (1 << UInt64(offset)) == 0 { return .new }
        return offset == 0 && responses[key] == nil ? .inProgress : .replay
    }

    /// Records a request from the peer as processed.
    mutating func accept(_ key: ExchangeKey) {
        guard var window = windows[key.exchange] else {
            windows[key.exchange] = Window(highest: key.sequence, seen: 1)
            return
        }
        if key.sequence > window.highest {
            let shift = key.sequence - window.highest
            window.seen = shift >= 64 ? 1 : window.seen << UInt64(shift) | 1
            window.highest = key.sequence
        } else {
            window.seen |= 1 << UInt64(window.highest - key.sequence)
        }
        windows[key.exchange] = window
    }

    /// Forgets that a request was seen, so that its retransmission counts as new: for a
    /// request dropped unanswered.
    mutating func forget(_ key: ExchangeKey) {
        guard var window = windows[key.exchange], key.sequence <= window.highest, window.highest - key.sequence < 64
        else { return }
        window.seen &= ~(1 << UInt64(window.highest - key.sequence))
        windows[key.exchange] = window
    }

    /// Remembers the response to a request, to re-send on a duplicate of that request.
    mutating func remember(response datagrams: [[UInt8]], for key: ExchangeKey, now: Date) {
        responses = responses.filter { $0.value.expires > now }
        responses[key] = (datagrams, now.addingTimeInterval(Self.responseLifetime))
    }

    mutating func track(_ key: ExchangeKey, _ request: OutstandingRequest) {
        outstanding[key] = request
    }

    /// Takes the outstanding request a response answers, if any.
    mutating func complete(_ key: ExchangeKey) -> OutstandingRequest? {
        outstanding.removeValue(forKey: key)
    }

    mutating func answered(_ key: ExchangeKey) {
        recentlyAnswered.append(key)
        if recentlyAnswered.count > 16 { recentlyAnswered.removeFirst() }
    }

    func wasAnswered(_ key: ExchangeKey) -> Bool { recentlyAnswered.contains(key) }

    mutating func cancel(where predicate: (RequestPurpose) -> Bool) {
        outstanding = outstanding.filter { !predicate($0.value.purpose) }
    }

    var hasOutstandingNotify: Bool { outstanding.values.contains { $0.purpose == .notify } }

    var earliestRetransmission: Date? { outstanding.values.map(\.nextAttempt).min() }

    /// What to do with the requests due at `now`.
    enum Due {
        case resend([[UInt8]])
        case exhausted(RequestPurpose)
    }

    mutating func due(at now: Date) -> [Due] {
        var actions: [Due] = []
        for (key, var request) in outstanding where request.nextAttempt <= now {
            if request.retransmissions >= request.maximumRetransmissions {
                outstanding[key] = nil
                actions.append(.exhausted(request.purpose))
            } else {
                request.retransmissions += 1
                request.interval = request.interval * 2
                request.nextAttempt = now.addingTimeInterval(request.interval.seconds)
                outstanding[key] = request
                actions.append(.resend(request.datagrams))
            }
        }
        return actions
    }
}
