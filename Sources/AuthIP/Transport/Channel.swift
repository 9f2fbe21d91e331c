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
/// exchange type for requests this side starts, the last request seen from the peer per
/// exchange type (for duplicates and replays), the responses sent (re-sent when a request
/// comes again) and the requests awaiting a response (retransmitted until they get one).
struct Channel {
    private var nextSequence: [ExchangeType: UInt32] = [:]
    private var lastPeerRequest: [ExchangeType: UInt32] = [:]
    private var responses: [ExchangeType: (key: ExchangeKey, datagrams: [[UInt8]])] = [:]
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
        /// The last request again: send the cached response.
        case duplicate([[UInt8]])
        /// The last request again, not answered yet (still being processed): ignore.
        case inProgress
        /// Older than the last request and not the cached one: a replay.
        case replay
    }

    func classify(_ key: ExchangeKey) -> RequestStatus {
        if let cached = responses[key.exchange], cached.key == key { return .duplicate(cached.datagrams) }
        guard let last = lastPeerRequest[key.exchange] else { return .new }
        if key.sequence == last { return .inProgress }
        return key.sequence > last ? .new : .replay
    }

    /// Records a request from the peer as processed.
    mutating func accept(_ key: ExchangeKey) {
        lastPeerRequest[key.exchange] = key.sequence
    }

    /// Remembers the response to a request, to re-send on a duplicate.
    mutating func remember(response datagrams: [[UInt8]], for key: ExchangeKey) {
        responses[key.exchange] = (key, datagrams)
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
