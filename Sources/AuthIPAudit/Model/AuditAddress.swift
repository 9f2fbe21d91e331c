/// An IPv4 or IPv6 address as it appears in an event, printed the way Windows'
/// RtlIpv4AddressToString / RtlIpv6AddressToString print it.
public struct AuditAddress: Hashable, Sendable, CustomStringConvertible {
    private enum Storage: Hashable, Sendable {
        case ipv4(UInt32)
        case ipv6(high: UInt64, low: UInt64)
    }

    private let storage: Storage

    /// An IPv4 address given in network order as a 32-bit number (`0x836B0002` is 131.107.0.2).
    public init(ipv4: UInt32) {
        storage = .ipv4(ipv4)
    }

    /// An IPv6 address given as its two 64-bit halves in network order.
    public init(ipv6High high: UInt64, low: UInt64) {
        storage = .ipv6(high: high, low: low)
    }

    /// The address from its 4 or 16 network-order bytes.
    public init(bytes: some Collection<UInt8>) throws(AuditModelError) {
        let bytes = Array(bytes)
        func number(_ slice: ArraySlice<UInt8>) -> UInt64 { slice.reduce(0) { $0 << 8 | UInt64($1) } }
        switch bytes.count {
        case 4: storage = .ipv4(UInt32(number(bytes[0..<4])))
        case 16: storage = .ipv6(high: number(bytes[0..<8]), low: number(bytes[8..<16]))
        default: throw .invalidAddressLength(bytes.count)
        }
    }

    /// Dotted quad for IPv4. For IPv6: lower-case hex groups without leading zeros, the longest
    /// run of two or more zero groups (the first on a tie) as `::`, and, as Windows does, the
    /// last 32 bits as a dotted quad for IPv4-compatible (`::a.b.c.d`), IPv4-mapped
    /// (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`) and ISATAP
    /// (`…:0:5efe:a.b.c.d`, `…:200:5efe:a.b.c.d`) addresses.
    public var description: String {
        switch storage {
        case .ipv4(let value):
            return Self.dottedQuad(value)
        case .ipv6(let high, let low):
            let groups = (0..<8).map { i in
                UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i % 4)))
            }
            return Self.ipv6Text(groups)
        }
    }

    private static func dottedQuad(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }

    private static func ipv6Text(_ groups: [UInt16]) -> String {
        let embedded = UInt32(groups[6]) << 16 | UInt32(groups[7])
        if groups[0..<4].allSatisfy({ $0 == 0 }), groups[6] != 0 {
            switch (groups[4], groups[5]) {
            case (0, 0): return "::" + dottedQuad(embedded)
            case (0, 0xFFFF): return "::ffff:" + dottedQuad(embedded)
            case (0xFFFF, 0): return "::ffff:0:" + dottedQuad(embedded)
            default: break
            }
        }
        // ISATAP interface identifiers (0:5efe or 200:5efe) end in the IPv4 address; group 5 is
        // never zero there, so the compressed head never ends in "::".
        if (groups[4] == 0 || groups[4] == 0x0200) && groups[5] == 0x5EFE {
            return compressed(Array(groups[0..<6])) + ":" + dottedQuad(embedded)
        }
        return compressed(groups)
    }

    /// Hex groups with the first longest run of at least two zero groups written as `::`.
    private static func compressed(_ groups: [UInt16]) -> String {
        var bestStart = 0, bestLength = 0, runStart = 0
        for index in groups.indices {
            if groups[index] != 0 {
                runStart = index + 1
            } else if index + 1 - runStart > bestLength {
                bestStart = runStart
                bestLength = index + 1 - runStart
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        return hex[..<bestStart].joined(separator: ":") + "::"
            + hex[(bestStart + bestLength)...].joined(separator: ":")
    }
}
