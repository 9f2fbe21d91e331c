/// The IPv6 transition addresses of DirectAccess: 6to4 tunnel endpoints, ISATAP, NAT64/DNS64
/// synthesis (RFC 6052) and Teredo.
extension IPv6Address {
    /// The 6to4 address DirectAccess gives an IPv4 address (RFC 3056 prefix 2002:WWXX:YYZZ::/48,
    /// subnet 0, the IPv4 address again as interface ID): 131.107.0.2 → 2002:836b:2::836b:2.
    public static func sixToFour(_ ipv4: IPv4Address) -> IPv6Address {
        IPv6Address(high: 0x2002 << 48 | UInt64(ipv4.value) << 16, low: UInt64(ipv4.value))
    }

    /// The 6to4 /48 of an IPv4 address.
    public static func sixToFourPrefix(_ ipv4: IPv4Address) -> AddressRange {
        AddressRange(.v6(IPv6Address(high: 0x2002 << 48 | UInt64(ipv4.value) << 16, low: 0)), prefixLength: 48)
    }

    /// The IPv4 address inside a 6to4 address (2002::/16), or nil.
    public var sixToFourIPv4: IPv4Address? {
        guard high >> 48 == 0x2002 else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: high >> 16))
    }

    /// An ISATAP address (RFC 5214): the /64 `prefix` with interface ID `0:5efe:a.b.c.d`, or
    /// `200:5efe:a.b.c.d` for a globally unique IPv4 address.
    public static func isatap(prefix: IPv6Address, ipv4: IPv4Address, globallyUnique: Bool = false) -> IPv6Address {
        IPv6Address(high: prefix.high, low: (globallyUnique ? 0x0200 : 0) << 48 | 0x5EFE << 32 | UInt64(ipv4.value))
    }

    /// The ISATAP /96 of a /64 prefix: every ISATAP host behind it, the management prefix a
    /// DirectAccess client can allow manage-out connections from (seed 000).
    public static func isatapPrefix(_ prefix: IPv6Address, globallyUnique: Bool = false) -> AddressRange {
        AddressRange(
            .v6(isatap(prefix: prefix, ipv4: IPv4Address(0), globallyUnique: globallyUnique)), prefixLength: 96)
    }

    /// The IPv4 address of an ISATAP address, or nil.
    public var isatapIPv4: IPv4Address? {
        guard (low >> 32) & 0xFDFF_FFFF == 0x5EFE else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: low))
    }

    /// An IPv4 address embedded in a NAT64 prefix of length 32, 40, 48, 56, 64 or 96
    /// (RFC 6052 §2.2; bits 64–71 stay zero): with fd03:b402:e10c:7777::/96, 172.16.1.225 →
    /// fd03:b402:e10c:7777::ac10:1e1. Nil for another length.
    public static func nat64(prefix: IPv6Address, length: Int, ipv4: IPv4Address) -> IPv6Address? {
        guard [32, 40, 48, 56, 64, 96].contains(length) else { return nil }
        var bytes = AddressRange(.v6(prefix), prefixLength: length).first.bytes
        var position = length / 8
        for byte in ipv4.bytes {
            if position == 8 { position += 1 }
            bytes[position] = byte
            position += 1
        }
        return IPv6Address(bytes: bytes)
    }

    /// The IPv4 address a NAT64 address of this prefix length carries, or nil.
    public func nat64IPv4(prefixLength length: Int) -> IPv4Address? {
        guard [32, 40, 48, 56, 64, 96].contains(length) else { return nil }
        let bytes = self.bytes
        var position = length / 8
        var value: UInt32 = 0
        for _ in 0..<4 {
            if position == 8 { position += 1 }
            value = value << 8 | UInt32(bytes[position])
            position += 1
        }
        return IPv4Address(value)
    }

    /// What a Teredo address (RFC 4380, 2001::/32) says: the Teredo server, the flags, and
    /// the client's public (mapped) address and port, un-obfuscated.
    public var teredo: TeredoAddress? {
        guard high >> 32 == 0x2001_0000 else { return nil }
        return TeredoAddress(
            server: IPv4Address(UInt32(truncatingIfNeeded: high)), flags: UInt16(truncatingIfNeeded: low >> 48),
            mappedPort: ~UInt16(truncatingIfNeeded: low >> 32),
            mappedAddress: IPv4Address(~UInt32(truncatingIfNeeded: low)))
    }
}

/// The parts of a Teredo address.
public struct TeredoAddress: Hashable, Sendable {
    public var server: IPv4Address
    public var flags: UInt16
    public var mappedPort: UInt16
    public var mappedAddress: IPv4Address

    /// The Cone flag: the client is behind a cone NAT.
    public var isCone: Bool { flags & 0x8000 != 0 }
}
