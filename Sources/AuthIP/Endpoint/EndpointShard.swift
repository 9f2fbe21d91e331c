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

    /// The shard of a Main Mode with this initiator cookie, of `count` shards under `key`.
    public static func index(ofInitiatorCookie cookie: UInt64, count: Int, key: UInt64) -> Int {
        guard count > 1 else { return 0 }
        // SplitMix64's finaliser over the keyed cookie: every output bit depends on every input bit.
        var z = cookie ^ key
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(count))
    }

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
