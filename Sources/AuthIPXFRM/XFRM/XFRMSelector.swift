import AuthIPWire
import CXFRM

/// An address prefix, the only kind of address set an XFRM selector holds.
public struct XFRMPrefix: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var length: Int

    public init(_ address: IPAddress, length: Int) {
        self.address = address
        self.length = length
    }

    public var description: String { "\(address)/\(length)" }

    /// Whether every address of `other` is in this prefix.
    public func contains(_ other: XFRMPrefix) -> Bool {
        guard length <= other.length else { return false }
        return AddressRange(address, prefixLength: length).contains(other.address)
    }

    /// The fewest prefixes that cover exactly the addresses of `range`.
    public static func covering(_ range: AddressRange) -> [XFRMPrefix] {
        switch (range.first, range.last) {
        case (.v4(let first), .v4(let last)):
            return split(UInt128(first.value), UInt128(last.value), bits: 32).map {
                XFRMPrefix(.v4(IPv4Address(UInt32($0.start))), length: $0.length)
            }
        case (.v6(let first), .v6(let last)):
            func wide(_ a: IPv6Address) -> UInt128 { UInt128(a.high) << 64 | UInt128(a.low) }
            return split(wide(first), wide(last), bits: 128).map {
                XFRMPrefix(
                    .v6(
                        IPv6Address(
                            high: UInt64(truncatingIfNeeded: $0.start >> 64), low: UInt64(truncatingIfNeeded: $0.start))
                    ),
                    length: $0.length)
            }
        default:
            return []
        }
    }

    /// Splits [first, last] into aligned blocks, largest first.
    private static func split(_ first: UInt128, _ last: UInt128, bits: Int) -> [(start: UInt128, length: Int)] {
        var blocks: [(UInt128, Int)] = []
        var start = first
        while true {
            // The largest block that starts at `start` (aligned) and ends by `last`.
            var size = start == 0 ? bits : min(bits, start.trailingZeroBitCount)
            while size > 0 {
                let end = start &+ ((size == 128 ? UInt128.max : (UInt128(1) << size) - 1))
                if end >= start && end <= last { break }
                size -= 1
            }
            blocks.append((start, bits - size))
            let end = start &+ (size == 128 ? UInt128.max : (UInt128(1) << size) - 1)
            if end >= last { break }
            start = end + 1
        }
        return blocks
    }
}

/// The traffic an XFRM policy or state applies to: source and destination prefixes, the IP
/// protocol and ports (0: any).
public struct XFRMSelector: Sendable, Hashable, CustomStringConvertible {
    public var source: XFRMPrefix
    public var destination: XFRMPrefix
    public var ipProtocol: UInt8
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(
        source: XFRMPrefix, destination: XFRMPrefix, ipProtocol: UInt8 = 0, sourcePort: UInt16 = 0,
        destinationPort: UInt16 = 0
    ) {
        self.source = source
        self.destination = destination
        self.ipProtocol = ipProtocol
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// Every selector that together cover traffic from `source` to `destination`: the product of
    /// their ranges' prefixes (empty when the families differ).
    public static func covering(source: TrafficSelector, destination: TrafficSelector) -> [XFRMSelector] {
        guard source.addresses.isIPv4 == destination.addresses.isIPv4 else { return [] }
        // A protocol both name (a selector pair names one protocol or none).
        let ipProtocol = source.ipProtocol != 0 ? source.ipProtocol : destination.ipProtocol
        return XFRMPrefix.covering(source.addresses).flatMap { from in
            XFRMPrefix.covering(destination.addresses).map { to in
                XFRMSelector(
                    source: from, destination: to, ipProtocol: ipProtocol, sourcePort: source.port,
                    destinationPort: destination.port)
            }
        }
    }

    /// Whether every packet `other` selects is also selected by this one.
    public func contains(_ other: XFRMSelector) -> Bool {
        source.contains(other.source) && destination.contains(other.destination)
            && (ipProtocol == 0 || ipProtocol == other.ipProtocol)
            && (sourcePort == 0 || sourcePort == other.sourcePort)
            && (destinationPort == 0 || destinationPort == other.destinationPort)
    }

    /// The same traffic the other way.
    public var reversed: XFRMSelector {
        XFRMSelector(
            source: destination, destination: source, ipProtocol: ipProtocol, sourcePort: destinationPort,
            destinationPort: sourcePort)
    }

    public var description: String {
        var text = "\(source) -> \(destination)"
        if ipProtocol != 0 { text += " proto \(ipProtocol)" }
        if sourcePort != 0 { text += " sport \(sourcePort)" }
        if destinationPort != 0 { text += " dport \(destinationPort)" }
        return text
    }

    var raw: xfrm_selector {
        var selector = xfrm_selector()
        selector.saddr = XFRMAddress.raw(source.address)
        selector.daddr = XFRMAddress.raw(destination.address)
        selector.prefixlen_s = UInt8(source.length)
        selector.prefixlen_d = UInt8(destination.length)
        selector.family = XFRMAddress.family(source.address)
        selector.proto = ipProtocol
        selector.sport = sourcePort.bigEndian
        selector.sport_mask = sourcePort == 0 ? 0 : 0xffff
        selector.dport = destinationPort.bigEndian
        selector.dport_mask = destinationPort == 0 ? 0 : 0xffff
        return selector
    }

    init?(_ raw: xfrm_selector) {
        guard let source = XFRMAddress.address(raw.saddr, family: raw.family),
            let destination = XFRMAddress.address(raw.daddr, family: raw.family)
        else { return nil }
        self.init(
            source: XFRMPrefix(source, length: Int(raw.prefixlen_s)),
            destination: XFRMPrefix(destination, length: Int(raw.prefixlen_d)), ipProtocol: raw.proto,
            sourcePort: UInt16(bigEndian: raw.sport), destinationPort: UInt16(bigEndian: raw.dport))
    }
}

/// Conversions between addresses and `xfrm_address_t`.
enum XFRMAddress {
    static func family(_ address: IPAddress) -> UInt16 {
        if case .v4 = address { return UInt16(AF_INET) }
        return UInt16(AF_INET6)
    }

    static func raw(_ address: IPAddress?) -> xfrm_address_t {
        var raw = xfrm_address_t()
        guard let address else { return raw }
        withUnsafeMutableBytes(of: &raw) { bytes in
            switch address {
            case .v4(let a): bytes.copyBytes(from: a.bytes)
            case .v6(let a): bytes.copyBytes(from: a.bytes)
            }
        }
        return raw
    }

    static func address(_ raw: xfrm_address_t, family: UInt16) -> IPAddress? {
        var raw = raw
        let bytes = withUnsafeBytes(of: &raw) { Array($0) }
        switch Int32(family) {
        case AF_INET: return .v4(IPv4Address(bytes: Array(bytes[0..<4])))
        case AF_INET6: return .v6(IPv6Address(bytes: bytes))
        default: return nil
        }
    }
}
