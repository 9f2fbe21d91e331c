/// One of several endpoints that share a daemon's sockets and split its negotiations between
/// them, each on its own thread (Docs/Engine.md, "Shards").
///
/// Every message of a Main Mode (its Extended and Quick Modes, notifies, fragments, DoS-cookie
/// retries, the move to the NAT-T port) carries the same initiator cookie, so the driver sends
/// a datagram to the shard `index(ofInitiatorCookie:)` names. A peer's cookies fall on the
/// shards as a keyed hash spreads them; the cookies a shard draws as initiator, its SPIs and its
/// SA IDs fall in its own class, so they route back to it and never collide with another's.
/// The limits a shard enforces alone (the half-open count behind DoS-cookie mode, the per-peer
/// limits) are its share of the endpoint's.
public struct EndpointShard: Sendable, Hashable {
    /// This shard's number, `0..<count`.
    public let index: Int
    /// How many shards there are.
    public let count: Int
    /// The key of the cookie hash: random, so that a peer cannot choose its shard.
    public let key: UInt64

    /// The only shard of an endpoint that is not split.
    public static let whole = EndpointShard(index: 0, count: 1, key: 0)

    /// Shard `index` of `count`, hashing cookies under `key`.
    public init(index: Int, count: Int, key: UInt64) {
        precondition(count >= 1 && (0..<count).contains(index), "shard \(index) of \(count)")
        self.index = index
        self.count = count
        self.key = key
    }

    /// The shard of a Main Mode with this initiator cookie, of `count` shards under `key`: a
    /// keyed hash in 32-bit steps, so that the kernel can compute it too (a classic BPF program
    /// steers each datagram to its shard's socket).
    public static func index(ofInitiatorCookie cookie: UInt64, count: Int, key: UInt64) -> Int {
        guard count > 1 else { return 0 }
        let (high, low) = (UInt32(truncatingIfNeeded: cookie >> 32), UInt32(truncatingIfNeeded: cookie))
        let (first, second) = keyHalves(key)
        var hash = (high ^ first) &* multipliers.0
        hash ^= low ^ second
        hash = hash &* multipliers.1
        hash ^= hash >> 16
        return Int(hash % UInt32(count))
    }

    /// The two 32-bit halves of the key the hash mixes in.
    public static func keyHalves(_ key: UInt64) -> (UInt32, UInt32) {
        (UInt32(truncatingIfNeeded: key >> 32), UInt32(truncatingIfNeeded: key))
    }

    /// The hash's odd multipliers (the golden ratio's and MurmurHash3's finaliser's).
    public static let multipliers: (UInt32, UInt32) = (0x9E37_79B1, 0x85EB_CA6B)

    /// Whether a Main Mode with this initiator cookie is this shard's.
    public func owns(initiatorCookie cookie: UInt64) -> Bool {
        Self.index(ofInitiatorCookie: cookie, count: count, key: key) == index
    }

    /// This shard's share of an endpoint-wide limit: the shares add up to at least the limit.
    func share(of limit: Int) -> Int {
        count == 1 ? limit : max(1, (limit + count - 1) / count)
    }

    /// Whether an SPI is in this shard's class (the driver's shards never pick the same one).
    func owns(spi: UInt32) -> Bool { Int(spi % UInt32(count)) == index }

    /// The first SA ID of this shard; the next ones follow `count` apart.
    var firstSAID: UInt64 { UInt64(index) + 1 }
}
