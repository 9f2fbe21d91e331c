import AuthIPWire
import Foundation

/// IKE fragmentation (MS-IKEE 3.3) of AuthIP messages: a message too large for the minimum
/// MTU is sent as Fragment payloads (0x84), each the only payload of its datagram. The data of
/// the fragments, in order, is the whole original datagram, header included
/// (`InteropProfile.fragmentsCarryWholeMessage`).
enum Fragmentation {
    /// IP (IPv4 20 / IPv6 40) and UDP (8) headers, and the non-ESP marker under NAT-T.
    static func overhead(ipv4: Bool) -> Int { (ipv4 ? 20 : 40) + 8 + 4 }

    /// The datagram, or its fragments when it exceeds the MTU.
    static func split(
        _ datagram: [UInt8], header: ISAKMPHeader, fragmentID: UInt16, mtu: Int, ipv4: Bool, extraFlags: UInt8 = 0
    ) -> [[UInt8]] {
        let limit = mtu - overhead(ipv4: ipv4)
        guard datagram.count > limit else { return [datagram] }
        let chunk = limit - ISAKMPHeader.size - 8
        var fragments: [[UInt8]] = []
        var offset = 0
        var number: UInt8 = 1
        var fragmentHeader = header
        fragmentHeader.flags.remove(.encrypted)
        while offset < datagram.count {
            let end = min(offset + chunk, datagram.count)
            let payload = FragmentPayload(
                fragmentID: fragmentID, number: number, isLast: end == datagram.count,
                data: Array(datagram[offset..<end]), otherFlags: extraFlags)
            fragments.append(Message(header: fragmentHeader, payloads: [.fragment(payload)]).serialized())
            offset = end
            number &+= 1
        }
        return fragments
    }
}

/// Fragments of incomplete messages, per peer and Fragment ID, until all arrive or the
/// reassembly timer drops them. Two pools with budgets of their own: messages of known
/// negotiations (each session a few messages, all of them a bounded total), and first messages
/// of strangers (a small pool, a couple per peer group, the oldest evicted to make room). A
/// flood of spoofed first fragments can only churn the strangers' pool, and every eviction is
/// pressure the endpoint answers with DoS cookies; it never touches a live negotiation's
/// TLS or Kerberos flights.
struct Reassembly {
    struct Key: Hashable {
        var peer: EndpointAddress
        var initiatorCookie: UInt64
        var fragmentID: UInt16
    }

    /// Whose budget a message is held on.
    enum Pool: Hashable {
        /// A negotiation that exists.
        case session(UInt64)
        /// A first message from this peer group.
        case stranger(AddressRange)
    }

    struct Pending {
        var pool: Pool
        var fragments: [UInt8: [UInt8]] = [:]
        var last: UInt8?
        var bytes = 0
        var deadline: Date
    }

    /// What a fragment did.
    struct Outcome {
        /// The whole datagram, once its last missing fragment came.
        var message: [UInt8]?
        /// Strangers' messages dropped to make room: the pool is under pressure.
        var evicted = 0
    }

    /// The most bytes of one message.
    static let maximumMessageBytes = 65_535
    /// Known negotiations: per session, and all together.
    static let maximumPendingPerSession = 4
    static let maximumBytesPerSession = 2 * maximumMessageBytes
    static let maximumSessionMessages = 1_024
    static let maximumSessionBytes = 16 << 20
    /// Strangers: per peer group, and all together.
    static let maximumPendingPerStranger = 2
    static let maximumStrangerMessages = 64
    static let maximumStrangerBytes = 512 << 10

    private(set) var pending: [Key: Pending] = [:]
    private var messagesByPool: [Pool: Int] = [:]
    private var bytesByPool: [Pool: Int] = [:]
    private(set) var totalBytes = 0
    private var sessionMessages = 0, sessionBytes = 0
    private var strangerMessages = 0, strangerBytes = 0
    /// Strangers' messages in arrival order, for eviction (keys already gone are skipped).
    private var strangerArrivals: [Key] = []

    /// Adds a fragment held on `pool`; the outcome has the whole datagram once every fragment
    /// is in. Inconsistent fragments (two different last ones, a number past the last) drop the
    /// message, as MS-IKEE says; a fragment seen before (a duplicate, or the sender's
    /// retransmission of the whole set) is ignored, so that each retransmission only has to
    /// deliver the fragments still missing.
    mutating func add(_ fragment: FragmentPayload, key: Key, pool: Pool, now: Date, timeout: Duration) -> Outcome {
        var outcome = Outcome()
        guard fragment.number >= 1 else { return outcome }
        if let existing = pending[key], existing.pool != pool { return outcome }
        if pending[key] == nil {
            guard admitMessage(pool, &outcome) else { return outcome }
            pending[key] = Pending(pool: pool, deadline: now.addingTimeInterval(timeout.seconds))
            count(pool, messages: 1, bytes: 0)
            if case .stranger = pool { strangerArrivals.append(key) }
        }
        var entry = pending[key]!
        if fragment.isLast {
            guard entry.last == nil || entry.last == fragment.number,
                entry.fragments.keys.allSatisfy({ $0 <= fragment.number })
            else {
                return drop(key, outcome)
            }
            entry.last = fragment.number
        } else if let last = entry.last, fragment.number >= last {
            return drop(key, outcome)
        }
        guard entry.fragments[fragment.number] == nil else {
            pending[key] = entry
            return outcome
        }
        let size = fragment.data.count
        guard entry.bytes + size <= Self.maximumMessageBytes, admitBytes(size, pool, keeping: key, &outcome) else {
            return drop(key, outcome)
        }
        entry.bytes += size
        count(pool, messages: 0, bytes: size)
        entry.fragments[fragment.number] = fragment.data
        guard let last = entry.last, entry.fragments.count == Int(last) else {
            pending[key] = entry
            return outcome
        }
        outcome = drop(key, outcome)
        outcome.message = (1...last).flatMap { entry.fragments[$0]! }
        return outcome
    }

    /// Room for one more message of `pool`: a session's within its budgets; a stranger's by
    /// evicting the oldest strangers when the pool is full.
    private mutating func admitMessage(_ pool: Pool, _ outcome: inout Outcome) -> Bool {
        switch pool {
        case .session:
            return messagesByPool[pool, default: 0] < Self.maximumPendingPerSession
                && sessionMessages < Self.maximumSessionMessages
        case .stranger:
            guard messagesByPool[pool, default: 0] < Self.maximumPendingPerStranger else { return false }
            while strangerMessages >= Self.maximumStrangerMessages, evictOldestStranger(keeping: nil) {
                outcome.evicted += 1
            }
            return strangerMessages < Self.maximumStrangerMessages
        }
    }

    /// Room for `size` more bytes of `pool`, evicting other strangers when a stranger needs it.
    private mutating func admitBytes(_ size: Int, _ pool: Pool, keeping key: Key, _ outcome: inout Outcome) -> Bool {
        switch pool {
        case .session:
            return bytesByPool[pool, default: 0] + size <= Self.maximumBytesPerSession
                && sessionBytes + size <= Self.maximumSessionBytes
        case .stranger:
            while strangerBytes + size > Self.maximumStrangerBytes, evictOldestStranger(keeping: key) {
                outcome.evicted += 1
            }
            return strangerBytes + size <= Self.maximumStrangerBytes
        }
    }

    private mutating func evictOldestStranger(keeping kept: Key?) -> Bool {
        var index = 0
        while index < strangerArrivals.count {
            let key = strangerArrivals[index]
            if key != kept, pending[key] != nil {
                strangerArrivals.remove(at: index)
                _ = drop(key, Outcome())
                return true
            }
            if pending[key] == nil { strangerArrivals.remove(at: index) } else { index += 1 }
        }
        return false
    }

    private mutating func count(_ pool: Pool, messages: Int, bytes: Int) {
        messagesByPool[pool, default: 0] += messages
        bytesByPool[pool, default: 0] += bytes
        if messagesByPool[pool] == 0 { messagesByPool[pool] = nil }
        if bytesByPool[pool] == 0 { bytesByPool[pool] = nil }
        totalBytes += bytes
        switch pool {
        case .session:
            sessionMessages += messages
            sessionBytes += bytes
        case .stranger:
            strangerMessages += messages
            strangerBytes += bytes
        }
    }

    /// Forgets a message's fragments.
    private mutating func drop(_ key: Key, _ outcome: Outcome) -> Outcome {
        guard let entry = pending.removeValue(forKey: key) else { return outcome }
        count(entry.pool, messages: -1, bytes: -entry.bytes)
        if strangerMessages == 0 {
            strangerArrivals.removeAll()
        } else if strangerArrivals.count > 4 * Self.maximumStrangerMessages {
            strangerArrivals.removeAll { pending[$0] == nil }
        }
        return outcome
    }

    /// Drops messages whose reassembly timer ran out.
    mutating func expire(at now: Date) {
        for (key, entry) in pending where entry.deadline <= now { _ = drop(key, Outcome()) }
    }

    var earliestDeadline: Date? { pending.values.map(\.deadline).min() }
}

extension Duration {
    /// The duration in seconds, as `Date` arithmetic takes it.
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
