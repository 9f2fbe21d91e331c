import AuthIPCrypto
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

/// A received datagram's identity: the first 128 bits of its SHA-256. A retransmission is
/// byte-identical, so this is how duplicates are told from new messages whatever seqNUM the
/// peer puts in them.
struct DatagramDigest: Hashable {
    var high: UInt64
    var low: UInt64

    init(_ datagram: [UInt8]) {
        let hash = HashAlgorithm.sha256.digest(datagram)
        high = hash[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = hash[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The message bookkeeping of one MM SA (MS-AIPS 2.2.3.3 and 3.1.4): the seqNUM counter per
/// exchange type for requests this side starts; the peer's requests by datagram digest (a
/// retransmission gets the cached response again, an old copy is a replay) and by seqNUM (a
/// window of 64 per exchange type, so that concurrent and reordered exchanges pass and old
/// numbers do not); and this side's requests awaiting a response (retransmitted until one
/// comes).
///
/// A response is matched by its exact key, or, when the peer numbers seqNUM differently
/// from us (per message, per direction, one for a whole exchange), by exchange type and
/// message ID when exactly one request of that kind is outstanding (Docs/InteropProfile.md,
/// "Tolerated variants"). A repeated seqNUM with new content is a new request: only the same
/// datagram twice is a duplicate.
struct Channel {
    /// The peer's requests of one exchange type seen so far.
    private struct Window {
        var highest: UInt32
        /// Bit i: `highest - i` was seen.
        var seen: UInt64
    }

    /// A request of the peer that was processed: its key, and its response once sent.
    private struct Processed {
        var key: ExchangeKey
        var response: [[UInt8]]?
        var expires: Date?
    }

    /// How long a response is kept for the peer's retransmissions of its request.
    static let responseLifetime: TimeInterval = 120
    /// How many of the peer's processed requests, and of the responses this side received,
    /// are remembered by digest.
    static let remembered = 64

    private var nextSequence: [ExchangeType?: UInt32] = [:]
    private var windows: [ExchangeType: Window] = [:]
    private var processed: [DatagramDigest: Processed] = [:]
    /// Processed requests, oldest first, to bound `processed`.
    private var processedOrder: [DatagramDigest] = []
    /// The newest request of each key, which a response to that key answers.
    private var latestRequest: [ExchangeKey: DatagramDigest] = [:]
    private(set) var outstanding: [ExchangeKey: OutstandingRequest] = [:]
    /// Responses this side took: late duplicates of them are dropped quietly.
    private var receivedResponses: [DatagramDigest] = []
    /// When the last response kept for retransmissions expires: the session's timer drops the
    /// bytes then, so that an idle MM SA does not hold its negotiation's datagrams.
    private(set) var responsesExpire: Date?

    /// The seqNUM for the next request of this exchange type, or, for nil, for the next message
    /// of any kind (`SequenceNumbering.perMessage`).
    mutating func takeSequence(_ exchange: ExchangeType?) -> UInt32 {
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

    func classify(_ key: ExchangeKey, digest: DatagramDigest, now: Date) -> RequestStatus {
        if let seen = processed[digest] {
            guard let response = seen.response else { return .inProgress }
            if let expires = seen.expires, expires > now { return .duplicate(response) }
            return .replay
        }
        guard let window = windows[key.exchange], key.sequence <= window.highest else { return .new }
        return window.highest - key.sequence < 64 ? .new : .replay
    }

    /// Records a request from the peer as processed.
    mutating func accept(_ key: ExchangeKey, digest: DatagramDigest) {
        processed[digest] = Processed(key: key)
        processedOrder.append(digest)
        if processedOrder.count > Self.remembered { processed[processedOrder.removeFirst()] = nil }
        latestRequest[key] = digest
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
    mutating func forget(_ digest: DatagramDigest) {
        processed[digest] = nil
    }

    /// Remembers the response to the newest request of `key`, to re-send on a duplicate of it.
    mutating func remember(response datagrams: [[UInt8]], for key: ExchangeKey, now: Date) {
        guard let digest = latestRequest[key], processed[digest] != nil else { return }
        processed[digest]?.response = datagrams
        processed[digest]?.expires = now.addingTimeInterval(Self.responseLifetime)
        responsesExpire = now.addingTimeInterval(Self.responseLifetime)
        // The peer sent this request only after it had the response to the one before it in
        // the same exchange: that response will not be asked for again.
        for (other, entry) in processed
        where entry.key.exchange == key.exchange && entry.key.messageID == key.messageID
            && entry.key.sequence < key.sequence && entry.response?.isEmpty == false
        {
            processed[other]?.response = []
        }
        dropExpiredResponses(at: now)
    }

    /// Drops the bytes of the responses whose time is up (they are the bulky part); the
    /// requests stay known, so a late retransmission is still recognised and not answered.
    mutating func dropExpiredResponses(at now: Date) {
        for (other, entry) in processed where entry.expires.map({ $0 <= now }) == true && entry.response != [] {
            processed[other]?.response = []
        }
        if let expire = responsesExpire, expire <= now { responsesExpire = nil }
    }

    mutating func track(_ key: ExchangeKey, _ request: OutstandingRequest) {
        outstanding[key] = request
    }

    /// Takes the outstanding request a response answers: the one with its exact key, else the
    /// only one of its exchange type and message ID. `exchanges` widens the exchange types that
    /// count as equal (an Extended Mode response on 243 or 245), `messageIDs` the message IDs.
    mutating func complete(
        _ key: ExchangeKey, exchanges: Set<ExchangeType>? = nil, messageIDs: Set<UInt32>? = nil
    ) -> (key: ExchangeKey, request: OutstandingRequest)? {
        if let request = outstanding.removeValue(forKey: key) { return (key, request) }
        let exchanges = exchanges ?? [key.exchange], messageIDs = messageIDs ?? [key.messageID]
        let candidates = outstanding.keys.filter {
            exchanges.contains($0.exchange) && messageIDs.contains($0.messageID)
        }
        guard candidates.count == 1, let only = candidates.first, let request = outstanding.removeValue(forKey: only)
        else { return nil }
        return (only, request)
    }

    /// Takes the outstanding reliable notify a NOTIFY_ACK names by its data (MS-AIPS 3.1.5.1),
    /// whatever the acknowledgement's own header says.
    mutating func completeNotify(acknowledging sequence: UInt32) -> OutstandingRequest? {
        guard let key = outstanding.first(where: { $0.key.sequence == sequence && $0.value.purpose == .notify })?.key
        else { return nil }
        return outstanding.removeValue(forKey: key)
    }

    /// Records a response this side took.
    mutating func received(response digest: DatagramDigest) {
        receivedResponses.append(digest)
        if receivedResponses.count > Self.remembered { receivedResponses.removeFirst() }
    }

    /// Whether this datagram is a response this side has taken already.
    func wasReceived(_ digest: DatagramDigest) -> Bool { receivedResponses.contains(digest) }

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
