/// Security Association (RFC 2408 §3.4, IPsec DOI RFC 2407 §4.6.1): the proposals of a Main
/// Mode (KEY_IKE) or Quick Mode (ESP/AH) negotiation. AuthIP keeps the IKEv1 layout.
public struct SecurityAssociationPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.securityAssociation
    /// The IPsec DOI, the only one AuthIP uses.
    public static let ipsecDOI: UInt32 = 1
    /// SIT_IDENTITY_ONLY; labelled secrecy and integrity situations are not supported.
    public static let identityOnlySituation: UInt32 = 1

    public var doi: UInt32
    public var situation: UInt32
    public var proposals: [Proposal]

    public init(proposals: [Proposal]) {
        self.doi = Self.ipsecDOI
        self.situation = Self.identityOnlySituation
        self.proposals = proposals
    }

    init(body reader: inout ByteReader) throws(WireError) {
        let doiOffset = reader.offset
        doi = try reader.readUInt32("DOI")
        guard doi == Self.ipsecDOI else {
            throw WireError(.unknownCriticalValue(field: "DOI", value: UInt64(doi)), at: doiOffset)
        }
        let situationOffset = reader.offset
        situation = try reader.readUInt32("situation")
        guard situation == Self.identityOnlySituation else {
            throw WireError(.unknownCriticalValue(field: "situation", value: UInt64(situation)), at: situationOffset)
        }
        proposals = []
        var next = PayloadType.proposal
        while next != .none {
            guard next == .proposal else {
                throw reader.error(.unknownCriticalValue(field: "payload type inside SA", value: UInt64(next.rawValue)))
            }
            guard proposals.count < PayloadChain.maximumPayloads else {
                throw reader.error(.tooManyPayloads(limit: PayloadChain.maximumPayloads))
            }
            var body = try GenericPayloadHeader.read(&reader, field: "Proposal", next: &next)
            proposals.append(try Proposal(body: &body))
        }
        guard !proposals.isEmpty else { throw reader.error(.invalidValue(field: "SA", reason: "no proposal")) }
        try reader.expectEnd("SA")
    }

    func writeBody(to writer: inout ByteWriter) {
        writer.write(doi)
        writer.write(situation)
        for (index, proposal) in proposals.enumerated() {
            GenericPayloadHeader.write(to: &writer, next: index + 1 < proposals.count ? .proposal : .none) { writer in
                proposal.write(to: &writer)
            }
        }
    }
}

/// The protocol a proposal is for (RFC 2407 §4.4.1).
public struct ProtocolID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let isakmp = ProtocolID(rawValue: 1)
    public static let ah = ProtocolID(rawValue: 2)
    public static let esp = ProtocolID(rawValue: 3)
    public static let ipcomp = ProtocolID(rawValue: 4)

    public var name: String {
        switch self {
        case .isakmp: return "ISAKMP"
        case .ah: return "AH"
        case .esp: return "ESP"
        case .ipcomp: return "IPCOMP"
        default: return "Unknown(\(rawValue))"
        }
    }

    public var description: String { name }
}

/// One proposal (RFC 2408 §3.5): a protocol, its SPI, and transforms to choose from.
public struct Proposal: Hashable, Sendable {
    public var number: UInt8
    public var protocolID: ProtocolID
    public var spi: [UInt8]
    public var transforms: [Transform]

    public init(number: UInt8, protocolID: ProtocolID, spi: [UInt8] = [], transforms: [Transform]) {
        self.number = number
        self.protocolID = protocolID
        self.spi = spi
        self.transforms = transforms
    }

    init(body reader: inout ByteReader) throws(WireError) {
        number = try reader.readUInt8("proposal number")
        let protocolOffset = reader.offset
        protocolID = ProtocolID(rawValue: try reader.readUInt8("protocol ID"))
        guard [.isakmp, .ah, .esp, .ipcomp].contains(protocolID) else {
            throw WireError(
                .unknownCriticalValue(field: "protocol ID", value: UInt64(protocolID.rawValue)), at: protocolOffset)
        }
        let spiSizeOffset = reader.offset
        let spiSize = Int(try reader.readUInt8("SPI size"))
        let allowed: Set<Int> = protocolID == .isakmp ? [0, 8, 16] : protocolID == .ipcomp ? [2, 4] : [4]
        guard allowed.contains(spiSize) else {
            throw WireError(.badLength(field: "SPI", value: spiSize), at: spiSizeOffset)
        }
        let countOffset = reader.offset
        let transformCount = Int(try reader.readUInt8("number of transforms"))
        spi = try reader.readBytes(spiSize, "SPI")
        transforms = []
        var next = PayloadType.transform
        while next != .none {
            guard next == .transform else {
                throw reader.error(
                    .unknownCriticalValue(field: "payload type inside Proposal", value: UInt64(next.rawValue)))
            }
            var body = try GenericPayloadHeader.read(&reader, field: "Transform", next: &next)
            transforms.append(try Transform(body: &body))
        }
        guard transforms.count == transformCount, transformCount > 0 else {
            throw WireError(
                .invalidValue(
                    field: "number of transforms", reason: "says \(transformCount), holds \(transforms.count)"),
                at: countOffset)
        }
        try reader.expectEnd("Proposal")
    }

    func write(to writer: inout ByteWriter) {
        writer.write(number)
        writer.write(protocolID.rawValue)
        writer.write(UInt8(truncatingIfNeeded: spi.count))
        writer.write(UInt8(truncatingIfNeeded: transforms.count))
        writer.write(spi)
        for (index, transform) in transforms.enumerated() {
            GenericPayloadHeader.write(to: &writer, next: index + 1 < transforms.count ? .transform : .none) { writer in
                transform.write(to: &writer)
            }
        }
    }
}

/// One transform (RFC 2408 §3.6): an algorithm identifier and its SA attributes.
public struct Transform: Hashable, Sendable {
    /// KEY_IKE, the transform ID of every Main Mode transform (RFC 2407 §4.4.2).
    public static let keyIKE: UInt8 = 1

    public var number: UInt8
    public var transformID: UInt8
    public var attributes: [TransformAttribute]

    public init(number: UInt8, transformID: UInt8, attributes: [TransformAttribute]) {
        self.number = number
        self.transformID = transformID
        self.attributes = attributes
    }

    init(body reader: inout ByteReader) throws(WireError) {
        number = try reader.readUInt8("transform number")
        transformID = try reader.readUInt8("transform ID")
        _ = try reader.readUInt16("transform reserved")
        attributes = []
        while !reader.isAtEnd {
            guard attributes.count < TransformAttribute.maximumPerTransform else {
                throw reader.error(.tooManyPayloads(limit: TransformAttribute.maximumPerTransform))
            }
            attributes.append(try TransformAttribute(&reader))
        }
    }

    func write(to writer: inout ByteWriter) {
        writer.write(number)
        writer.write(transformID)
        writer.write(UInt16(0))
        for attribute in attributes { attribute.write(to: &writer) }
    }

    /// The first basic attribute of `type`, if any.
    public func basicValue(of type: UInt16) -> UInt16? {
        for attribute in attributes where attribute.type == type {
            if case .basic(let value) = attribute.value { return value }
        }
        return nil
    }
}

/// A data attribute (RFC 2408 §3.3): basic (TV, 16-bit value, AF bit set) or variable (TLV).
public struct TransformAttribute: Hashable, Sendable {
    static let maximumPerTransform = 64

    /// A basic (16-bit) or variable-length value.
    public enum Value: Hashable, Sendable {
        case basic(UInt16)
        case variable([UInt8])
    }

    /// The attribute type without the AF bit.
    public var type: UInt16
    public var value: Value

    public init(type: UInt16, value: Value) {
        self.type = type & 0x7FFF
        self.value = value
    }

    public static func basic(_ type: UInt16, _ value: UInt16) -> TransformAttribute {
        TransformAttribute(type: type, value: .basic(value))
    }

    init(_ reader: inout ByteReader) throws(WireError) {
        let typeField = try reader.readUInt16("attribute type")
        type = typeField & 0x7FFF
        if typeField & 0x8000 != 0 {
            value = .basic(try reader.readUInt16("attribute value"))
        } else {
            let length = Int(try reader.readUInt16("attribute length"))
            value = .variable(try reader.readBytes(length, "attribute value"))
        }
    }

    func write(to writer: inout ByteWriter) {
        switch value {
        case .basic(let v):
            writer.write(type | 0x8000)
            writer.write(v)
        case .variable(let bytes):
            writer.write(type)
            writer.write(UInt16(truncatingIfNeeded: bytes.count))
            writer.write(bytes)
        }
    }
}

/// Attribute types of Main Mode (KEY_IKE) transforms (RFC 2409 Appendix A).
public enum MainModeAttribute {
    public static let encryptionAlgorithm: UInt16 = 1
    public static let hashAlgorithm: UInt16 = 2
    public static let authenticationMethod: UInt16 = 3
    public static let groupDescription: UInt16 = 4
    public static let lifeType: UInt16 = 11
    public static let lifeDuration: UInt16 = 12
    public static let keyLength: UInt16 = 14

    static func name(_ type: UInt16) -> String? {
        switch type {
        case 1: return "Encryption Algorithm"
        case 2: return "Hash Algorithm"
        case 3: return "Authentication Method"
        case 4: return "Group Description"
        case 5: return "Group Type"
        case 11: return "Life Type"
        case 12: return "Life Duration"
        case 13: return "PRF"
        case 14: return "Key Length"
        case 15: return "Field Size"
        case 16: return "Group Order"
        default: return nil
        }
    }
}

/// Attribute types of Quick Mode (IPsec DOI) transforms (RFC 2407 §4.5).
public enum QuickModeAttribute {
    public static let lifeType: UInt16 = 1
    public static let lifeDuration: UInt16 = 2
    public static let groupDescription: UInt16 = 3
    public static let encapsulationMode: UInt16 = 4
    public static let authenticationAlgorithm: UInt16 = 5
    public static let keyLength: UInt16 = 6

    static func name(_ type: UInt16) -> String? {
        switch type {
        case 1: return "SA Life Type"
        case 2: return "SA Life Duration"
        case 3: return "Group Description"
        case 4: return "Encapsulation Mode"
        case 5: return "Authentication Algorithm"
        case 6: return "Key Length"
        case 7: return "Key Rounds"
        case 8: return "Compress Dictionary Size"
        case 9: return "Compress Private Algorithm"
        default: return nil
        }
    }
}

/// Encapsulation modes of Quick Mode SAs: RFC 2407, RFC 3947, the MS-IKEE draft NAT-T values
/// and AuthIP's two authenticated-firewall modes.
public enum EncapsulationMode {
    public static let tunnel: UInt16 = 1
    public static let transport: UInt16 = 2
    public static let udpTunnel: UInt16 = 3
    public static let udpTransport: UInt16 = 4
    public static let draftUDPTunnel: UInt16 = 0xF003
    public static let draftUDPTransport: UInt16 = 0xF004
    /// IPSEC_TRANSPORT_AUTH_FW: authenticated-firewall mode.
    public static let transportAuthFirewall: UInt16 = 62000
    /// IPSEC_TRANSPORT_UDP_AUTH_FW: authenticated-firewall mode, UDP-encapsulated (behind NAT).
    public static let udpTransportAuthFirewall: UInt16 = 62001

    static func name(_ value: UInt16) -> String? {
        switch value {
        case tunnel: return "Tunnel"
        case transport: return "Transport"
        case udpTunnel: return "UDP-Encapsulated-Tunnel"
        case udpTransport: return "UDP-Encapsulated-Transport"
        case draftUDPTunnel: return "UDP-Encapsulated-Tunnel (draft)"
        case draftUDPTransport: return "UDP-Encapsulated-Transport (draft)"
        case transportAuthFirewall: return "Transport-AuthFW"
        case udpTransportAuthFirewall: return "UDP-Transport-AuthFW"
        default: return nil
        }
    }
}
