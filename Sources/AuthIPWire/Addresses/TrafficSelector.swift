/// An IP address and UDP port: where a datagram comes from or goes to.
public struct EndpointAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16

    public init(_ ip: IPAddress, port: UInt16 = 500) {
        self.ip = ip
        self.port = port
    }

    public var isIPv4: Bool {
        if case .v4 = ip { return true }
        return false
    }

    public var description: String {
        switch ip {
        case .v4: return "\(ip):\(port)"
        case .v6: return "[\(ip)]:\(port)"
        }
    }
}

/// An inclusive range of addresses of one family: a single address, a prefix or an arbitrary
/// range, as the three forms of a phase-2 identity.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    public let first: IPAddress
    public let last: IPAddress

    /// A range of one family with `first <= last`, or nil.
    public init?(first: IPAddress, last: IPAddress) {
        guard let a = Self.key(first), let b = Self.key(last), a.family == b.family, (a.high, a.low) <= (b.high, b.low)
        else {
            return nil
        }
        self.first = first
        self.last = last
    }

    /// The single address.
    public init(_ address: IPAddress) {
        first = address
        last = address
    }

    /// The prefix `address/length` (length clamped to the family's width).
    public init(_ address: IPAddress, prefixLength length: Int) {
        switch address {
        case .v4(let a):
            let length = max(0, min(length, 32))
            let mask: UInt32 = length == 0 ? 0 : .max << UInt32(32 - length)
            first = .v4(IPv4Address(a.value & mask))
            last = .v4(IPv4Address(a.value | ~mask))
        case .v6(let a):
            let length = max(0, min(length, 128))
            let highMask: UInt64 = length >= 64 ? .max : length == 0 ? 0 : .max << UInt64(64 - length)
            let lowMask: UInt64 = length <= 64 ? 0 : length == 128 ? .max : .max << UInt64(128 - length)
            first = .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask))
            last = .v6(IPv6Address(high: a.high | ~highMask, low: a.low | ~lowMask))
        }
    }

    /// `address`, `address/length` or `first-last`.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPAddress(text[..<slash]), let length = Int(text[text.index(after: slash)...]),
                length >= 0, length <= (address.isV4 ? 32 : 128)
            else { return nil }
            self.init(address, prefixLength: length)
        } else if let dash = text.firstIndex(of: "-") {
            guard let a = IPAddress(text[..<dash]), let b = IPAddress(text[text.index(after: dash)...]) else {
                return nil
            }
            self.init(first: a, last: b)
        } else {
            guard let address = IPAddress(text) else { return nil }
            self.init(address)
        }
    }

    /// Every address of a family.
    public static let allIPv4 = AddressRange(.v4(IPv4Address(0)), prefixLength: 0)
    public static let allIPv6 = AddressRange(.v6(IPv6Address(high: 0, low: 0)), prefixLength: 0)

    public var isIPv4: Bool { first.isV4 }

    public func contains(_ address: IPAddress) -> Bool {
        guard let k = Self.key(address), let a = Self.key(first), let b = Self.key(last), k.family == a.family else {
            return false
        }
        return (a.high, a.low) <= (k.high, k.low) && (k.high, k.low) <= (b.high, b.low)
    }

    public func contains(_ other: AddressRange) -> Bool { contains(other.first) && contains(other.last) }

    public func overlaps(_ other: AddressRange) -> Bool {
        contains(other.first) || contains(other.last) || other.contains(first)
    }

    /// The prefix length when the range is exactly one prefix.
    public var prefixLength: Int? {
        guard let a = Self.key(first), let b = Self.key(last) else { return nil }
        let width = a.family == 4 ? 32 : 128
        let (xh, xl) = (a.high ^ b.high, a.low ^ b.low)
        let hostBits = xh != 0 ? 128 - xh.leadingZeroBitCount : (xl != 0 ? 64 - xl.leadingZeroBitCount : 0)
        let candidate = AddressRange(first, prefixLength: width - hostBits)
        return candidate == self ? width - hostBits : nil
    }

    /// The phase-2 identity: an address, a subnet when the range is a prefix, else a range.
    public var identity: TrafficIdentity {
        switch (first, last) {
        case (.v4(let a), .v4(let b)):
            if a == b { return .ipv4Address(a) }
            if let length = prefixLength { return .ipv4Prefix(a, length: length) }
            return .ipv4Range(a, b)
        case (.v6(let a), .v6(let b)):
            if a == b { return .ipv6Address(a) }
            if let length = prefixLength { return .ipv6Prefix(a, length: length) }
            return .ipv6Range(a, b)
        default:
            preconditionFailure("an AddressRange holds one family")
        }
    }

    /// The range a phase-2 identity covers; nil for an empty range or a non-contiguous mask.
    public init?(_ identity: TrafficIdentity) {
        switch identity {
        case .ipv4Address(let a): self.init(.v4(a))
        case .ipv6Address(let a): self.init(.v6(a))
        case .ipv4Range(let a, let b): self.init(first: .v4(a), last: .v4(b))
        case .ipv6Range(let a, let b): self.init(first: .v6(a), last: .v6(b))
        case .ipv4Subnet(let a, let mask):
            let ones = mask.value.nonzeroBitCount
            guard mask.value == (ones == 0 ? 0 : UInt32.max << UInt32(32 - ones)) else { return nil }
            self.init(.v4(a), prefixLength: ones)
        case .ipv6Subnet(let a, let mask):
            let ones = mask.high.nonzeroBitCount + mask.low.nonzeroBitCount
            guard case .ipv6Subnet(_, let canonical) = TrafficIdentity.ipv6Prefix(a, length: ones), canonical == mask
            else { return nil }
            self.init(.v6(a), prefixLength: ones)
        }
    }

    public var description: String {
        if first == last { return first.description }
        if let length = prefixLength { return "\(first)/\(length)" }
        return "\(first)-\(last)"
    }

    private static func key(_ address: IPAddress) -> (family: Int, high: UInt64, low: UInt64)? {
        switch address {
        case .v4(let a): return (4, 0, UInt64(a.value))
        case .v6(let a): return (6, a.high, a.low)
        }
    }
}

/// One side of a Quick Mode traffic selector: addresses, IP protocol and port (0 = any).
public struct TrafficSelector: Hashable, Sendable, CustomStringConvertible {
    public var addresses: AddressRange
    public var ipProtocol: UInt8
    public var port: UInt16

    public init(_ addresses: AddressRange, ipProtocol: UInt8 = 0, port: UInt16 = 0) {
        self.addresses = addresses
        self.ipProtocol = ipProtocol
        self.port = port
    }

    /// The selector an ID payload carries; nil when its identity is not a usable range.
    public init?(_ payload: IdentificationPayload) {
        guard let range = AddressRange(payload.identity) else { return nil }
        self.init(range, ipProtocol: payload.ipProtocol, port: payload.port)
    }

    public var payload: IdentificationPayload {
        IdentificationPayload(identity: addresses.identity, ipProtocol: ipProtocol, port: port)
    }

    /// Whether every packet `other` selects is also selected by this one.
    public func contains(_ other: TrafficSelector) -> Bool {
        addresses.contains(other.addresses) && (ipProtocol == 0 || ipProtocol == other.ipProtocol)
            && (port == 0 || port == other.port)
    }

    /// Whether a packet with this address, protocol and port is selected.
    public func matches(_ address: IPAddress, ipProtocol: UInt8 = 0, port: UInt16 = 0) -> Bool {
        addresses.contains(address) && (self.ipProtocol == 0 || self.ipProtocol == ipProtocol)
            && (self.port == 0 || self.port == port)
    }

    public var description: String {
        var text = addresses.description
        if ipProtocol != 0 { text += " proto \(ipProtocol)" }
        if port != 0 { text += " port \(port)" }
        return text
    }
}

extension IPAddress {
    public var isV4: Bool {
        if case .v4 = self { return true }
        return false
    }
}
