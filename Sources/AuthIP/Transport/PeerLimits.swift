import AuthIPWire
import Foundation

extension EndpointSettings {
    /// The peer group an address counts in for the per-peer limits, the fragment pool and the
    /// TLS start rate: an IPv4 address alone; an IPv6 address by its prefix of
    /// `peerPrefixLengthIPv6` bits (one host picks any address of its /64), except inside
    /// `individuallyCountedRanges`, where each address is a peer of its own.
    func peerGroup(of address: IPAddress) -> AddressRange {
        guard case .v6 = address, !individuallyCountedRanges.contains(where: { $0.contains(address) }) else {
            return AddressRange(address)
        }
        return AddressRange(address, prefixLength: peerPrefixLengthIPv6)
    }
}

/// A token bucket per peer group, on the endpoint's clock: `rate` tokens a second up to
/// `burst`. Buckets that have refilled are forgotten once there are many.
struct RateLimiter {
    private var buckets: [AddressRange: (tokens: Double, updated: Date)] = [:]
    /// Past this many buckets, the full ones are dropped as new ones come in.
    static let pruneThreshold = 4_096

    /// Takes a token for `group` at `now`; false when its bucket is empty.
    mutating func take(_ group: AddressRange, rate: Double, burst: Double, now: Date) -> Bool {
        if buckets.count >= Self.pruneThreshold, buckets[group] == nil {
            buckets = buckets.filter { Self.level($0.value, rate: rate, burst: burst, now: now) < burst }
        }
        var tokens = buckets[group].map { Self.level($0, rate: rate, burst: burst, now: now) } ?? burst
        guard tokens >= 1 else {
            buckets[group] = (tokens, now)
            return false
        }
        tokens -= 1
        buckets[group] = (tokens, now)
        return true
    }

    private static func level(
        _ bucket: (tokens: Double, updated: Date), rate: Double, burst: Double, now: Date
    ) -> Double {
        min(burst, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * rate)
    }
}
