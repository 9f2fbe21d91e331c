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
    static func split(_ datagram: [UInt8], header: ISAKMPHeader, fragmentID: UInt16, mtu: Int, ipv4: Bool) -> [[UInt8]] {
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
            let payload = FragmentPayload(fragmentID: fragmentID, number: number, isLast: end == datagram.count,
                                          data: Array(datagram[offset..<end]))
            fragments.append(Message(header: fragmentHeader, payloads: [.fragment(payload)]).serialized())
            offset = end
            number &+= 1
        }
        return fragments
    }
}

/// Fragments of incomplete messages, per peer and Fragment ID, until all arrive or the
/// reassembly timer drops them.
struct Reassembly {
    struct Key: Hashable {
        var peer: EndpointAddress
        var initiatorCookie: UInt64
        var fragmentID: UInt16
    }

    struct Pending {
        var fragments: [UInt8: [UInt8]] = [:]
        var last: UInt8?
        var bytes = 0
        var deadline: Date
    }

    /// At most this many bytes per message, incomplete messages in all and per peer address,
    /// and bytes held in all: a flood of first fragments cannot take the memory or crowd out
    /// other peers.
    static let maximumMessageBytes = 65_535
    static let maximumPending = 1_024
    static let maximumPendingPerPeer = 8
    static let maximumTotalBytes = 4 << 20

    private(set) var pending: [Key: Pending] = [:]
    private var pendingPerPeer: [IPAddress: Int] = [:]
    private(set) var totalBytes = 0

    /// Adds a fragment; returns the whole datagram once every fragment is in. Inconsistent
    /// fragments (two last ones, a number past the last) drop the message, as MS-IKEE says.
    mutating func add(_ fragment: FragmentPayload, key: Key, now: Date, timeout: Duration) -> [UInt8]? {
        guard fragment.number >= 1 else { return nil }
        if pending[key] == nil {
            guard pending.count < Self.maximumPending, pendingPerPeer[key.peer.ip, default: 0] < Self.maximumPendingPerPeer else {
                return nil
            }
            pendingPerPeer[key.peer.ip, default: 0] += 1
            pending[key] = Pending(deadline: now.addingTimeInterval(timeout.seconds))
        }
        var entry = pending[key]!
        if fragment.isLast {
            guard entry.last == nil, entry.fragments.keys.allSatisfy({ $0 <= fragment.number }) else { return drop(key) }
            entry.last = fragment.number
        } else if let last = entry.last, fragment.number >= last {
            return drop(key)
        }
        guard entry.fragments[fragment.number] == nil else {
            pending[key] = entry
            return nil
        }
        guard entry.bytes + fragment.data.count <= Self.maximumMessageBytes,
              totalBytes + fragment.data.count <= Self.maximumTotalBytes else { return drop(key) }
        entry.bytes += fragment.data.count
        totalBytes += fragment.data.count
        entry.fragments[fragment.number] = fragment.data
        guard let last = entry.last, entry.fragments.count == Int(last) else {
            pending[key] = entry
            return nil
        }
        _ = drop(key)
        return (1...last).flatMap { entry.fragments[$0]! }
    }

    /// Forgets a message's fragments; returns nil for the caller's convenience.
    private mutating func drop(_ key: Key) -> [UInt8]? {
        guard let entry = pending.removeValue(forKey: key) else { return nil }
        totalBytes -= entry.bytes
        let remaining = pendingPerPeer[key.peer.ip, default: 1] - 1
        pendingPerPeer[key.peer.ip] = remaining > 0 ? remaining : nil
        return nil
    }

    /// Drops messages whose reassembly timer ran out.
    mutating func expire(at now: Date) {
        for (key, entry) in pending where entry.deadline <= now { _ = drop(key) }
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
