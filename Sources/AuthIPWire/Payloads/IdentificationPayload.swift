/// A phase-2 Identification payload (RFC 2407 §4.6.2): a Quick Mode traffic selector, or one
/// of the two identities that follow NOTIFY_ACQUIRE.
public struct IdentificationPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.identification

    /// The IP protocol the selector covers (0 = any).
    public var ipProtocol: UInt8
    /// The port the selector covers (0 = any).
    public var port: UInt16
    public var identity: TrafficIdentity

    public init(identity: TrafficIdentity, ipProtocol: UInt8 = 0, port: UInt16 = 0) {
        self.identity = identity
        self.ipProtocol = ipProtocol
        self.port = port
    }

    init(body reader: inout ByteReader) throws(WireError) {
        let typeOffset = reader.offset
        let idType = try reader.readUInt8("ID type")
        ipProtocol = try reader.readUInt8("ID protocol")
        port = try reader.readUInt16("ID port")
        guard let kind = TrafficIdentity.Kind(rawValue: idType) else {
            throw WireError(.unknownCriticalValue(field: "ID type", value: UInt64(idType)), at: typeOffset)
        }
        guard reader.remaining == kind.dataLength else {
            throw reader.error(.badLength(field: "ID data", value: reader.remaining))
        }
        let data = reader.readRest()
        identity = TrafficIdentity(kind: kind, data: data)
    }

    func writeBody(to writer: inout ByteWriter) {
        writer.write(identity.kind.rawValue)
        writer.write(ipProtocol)
        writer.write(port)
        writer.write(identity.data)
    }
}

/// The address part of a phase-2 identity.
public enum TrafficIdentity: Hashable, Sendable, CustomStringConvertible {
    case ipv4Address(IPv4Address)
    case ipv4Subnet(IPv4Address, mask: IPv4Address)
    case ipv4Range(IPv4Address, IPv4Address)
    case ipv6Address(IPv6Address)
    case ipv6Subnet(IPv6Address, mask: IPv6Address)
    case ipv6Range(IPv6Address, IPv6Address)

    /// The RFC 2407 §4.6.2.1 ID types that phase 2 uses.
    public enum Kind: UInt8, Sendable {
        case ipv4Address = 1
        case ipv4Subnet = 4
        case ipv6Address = 5
        case ipv6Subnet = 6
        case ipv4Range = 7
        case ipv6Range = 8

        var dataLength: Int {
            switch self {
            case .ipv4Address: return 4
            case .ipv4Subnet, .ipv4Range: return 8
            case .ipv6Address: return 16
            case .ipv6Subnet, .ipv6Range: return 32
            }
        }

        public var name: String {
            switch self {
            case .ipv4Address: return "ID_IPV4_ADDR"
            case .ipv4Subnet: return "ID_IPV4_ADDR_SUBNET"
            case .ipv6Address: return "ID_IPV6_ADDR"
            case .ipv6Subnet: return "ID_IPV6_ADDR_SUBNET"
            case .ipv4Range: return "ID_IPV4_ADDR_RANGE"
            case .ipv6Range: return "ID_IPV6_ADDR_RANGE"
            }
        }
    }

    /// An IPv4 subnet from a prefix length (0–32).
    public static func ipv4Prefix(_ address: IPv4Address, length: Int) -> TrafficIdentity {
        let mask = length == 0 ? 0 : UInt32.max << UInt32(32 - min(length, 32))
        return .ipv4Subnet(IPv4Address(address.value & mask), mask: IPv4Address(mask))
    }

    /// An IPv6 subnet from a prefix length (0–128).
    public static func ipv6Prefix(_ address: IPv6Address, length: Int) -> TrafficIdentity {
        let length = max(0, min(length, 128))
        let highMask: UInt64 = length >= 64 ? .max : length == 0 ? 0 : .max << UInt64(64 - length)
        let lowMask: UInt64 = length <= 64 ? 0 : length == 128 ? .max : .max << UInt64(128 - length)
        let mask = IPv6Address(high: highMask, low: lowMask)
        return .ipv6Subnet(IPv6Address(high: address.high & highMask, low: address.low & lowMask), mask: mask)
    }

    public var kind: Kind {
        switch self {
        case .ipv4Address: return .ipv4Address
        case .ipv4Subnet: return .ipv4Subnet
        case .ipv4Range: return .ipv4Range
        case .ipv6Address: return .ipv6Address
        case .ipv6Subnet: return .ipv6Subnet
        case .ipv6Range: return .ipv6Range
        }
    }

    init(kind: Kind, data: [UInt8]) {
        switch kind {
        case .ipv4Address: self = .ipv4Address(IPv4Address(bytes: data))
        case .ipv4Subnet: self = .ipv4Subnet(IPv4Address(bytes: data), mask: IPv4Address(bytes: Array(data[4...])))
        case .ipv4Range: self = .ipv4Range(IPv4Address(bytes: data), IPv4Address(bytes: Array(data[4...])))
        case .ipv6Address: self = .ipv6Address(IPv6Address(bytes: data))
        case .ipv6Subnet: self = .ipv6Subnet(IPv6Address(bytes: data), mask: IPv6Address(bytes: Array(data[16...])))
        case .ipv6Range: self = .ipv6Range(IPv6Address(bytes: data), IPv6Address(bytes: Array(data[16...])))
        }
    }

    var data: [UInt8] {
        switch self {
        case .ipv4Address(let a): return a.bytes
        case .ipv4Subnet(let a, let m): return a.bytes + m.bytes
        case .ipv4Range(let a, let b): return a.bytes + b.bytes
        case .ipv6Address(let a): return a.bytes
        case .ipv6Subnet(let a, let m): return a.bytes + m.bytes
        case .ipv6Range(let a, let b): return a.bytes + b.bytes
        }
    }

    /// `address`, `address/prefix` (or `address/mask` when the mask is not contiguous),
    /// `first-last`.
    public var description: String {
        switch self {
        case .ipv4Address(let a): return a.description
        case .ipv6Address(let a): return a.description
        case .ipv4Range(let a, let b): return "\(a)-\(b)"
        case .ipv6Range(let a, let b): return "\(a)-\(b)"
        case .ipv4Subnet(let a, let m):
            let ones = m.value.nonzeroBitCount
            let contiguous = m.value == (ones == 0 ? 0 : UInt32.max << UInt32(32 - ones))
            return contiguous ? "\(a)/\(ones)" : "\(a)/\(m)"
        case .ipv6Subnet(let a, let m):
            let ones = m.high.nonzeroBitCount + m.low.nonzeroBitCount
            let contiguous = TrafficIdentity.ipv6Prefix(a, length: ones) == .ipv6Subnet(a, mask: m)
            return contiguous ? "\(a)/\(ones)" : "\(a)/\(m)"
        }
    }
}

/// NAT-OA (RFC 3947 §5.2): the original address of a peer behind a NAT.
public struct NATOriginalAddressPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.natOriginalAddress
    public var address: IPAddress

    public init(address: IPAddress) { self.address = address }

    init(body reader: inout ByteReader) throws(WireError) {
        let typeOffset = reader.offset
        let idType = try reader.readUInt8("NAT-OA ID type")
        _ = try reader.readBytes(3, "NAT-OA reserved")
        switch idType {
        case TrafficIdentity.Kind.ipv4Address.rawValue where reader.remaining == 4:
            address = .v4(IPv4Address(bytes: reader.readRest()))
        case TrafficIdentity.Kind.ipv6Address.rawValue where reader.remaining == 16:
            address = .v6(IPv6Address(bytes: reader.readRest()))
        case TrafficIdentity.Kind.ipv4Address.rawValue, TrafficIdentity.Kind.ipv6Address.rawValue:
            throw reader.error(.badLength(field: "NAT-OA address", value: reader.remaining))
        default:
            throw WireError(.unknownCriticalValue(field: "NAT-OA ID type", value: UInt64(idType)), at: typeOffset)
        }
    }

    func writeBody(to writer: inout ByteWriter) {
        switch address {
        case .v4(let a):
            writer.write(TrafficIdentity.Kind.ipv4Address.rawValue)
            writer.write([0, 0, 0])
            writer.write(a.bytes)
        case .v6(let a):
            writer.write(TrafficIdentity.Kind.ipv6Address.rawValue)
            writer.write([0, 0, 0])
            writer.write(a.bytes)
        }
    }
}
