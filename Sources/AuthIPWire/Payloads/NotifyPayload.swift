/// Notify in its AuthIP form (MS-AIPS §2.2.3.5): IKEv1's SPI-size byte is a Flags byte and
/// there is no SPI. The data of every known message type is checked for its length when
/// parsed, so the typed accessors below never see a short body.
public struct NotifyPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.notify

    public var doi: UInt32
    /// 1 for MM/EM notifies, 2 for QM notifies.
    public var protocolID: UInt8
    public var flags: NotifyFlags
    public var messageType: NotifyMessageType
    public var data: [UInt8]

    public init(
        messageType: NotifyMessageType, data: [UInt8] = [], protocolID: UInt8 = NotifyPayload.mainModeProtocol,
        flags: NotifyFlags = [], doi: UInt32 = SecurityAssociationPayload.ipsecDOI
    ) {
        self.doi = doi
        self.protocolID = protocolID
        self.flags = flags
        self.messageType = messageType
        self.data = data
    }

    public static let mainModeProtocol: UInt8 = 1
    public static let quickModeProtocol: UInt8 = 2

    init(body reader: inout ByteReader) throws(WireError) {
        let doiOffset = reader.offset
        doi = try reader.readUInt32("notify DOI")
        guard doi <= SecurityAssociationPayload.ipsecDOI else {
            throw WireError(.unknownCriticalValue(field: "notify DOI", value: UInt64(doi)), at: doiOffset)
        }
        protocolID = try reader.readUInt8("notify protocol ID")
        flags = NotifyFlags(rawValue: try reader.readUInt8("notify flags"))
        messageType = NotifyMessageType(rawValue: try reader.readUInt16("notify message type"))
        // Longer data is accepted: Windows appends the QM message ID to EXCHANGE_INFO (MS-IKEE).
        if let expected = messageType.dataLength, reader.remaining < expected {
            throw reader.error(.badLength(field: "\(messageType.name) data", value: reader.remaining))
        }
        data = reader.readRest()
    }

    func writeBody(to writer: inout ByteWriter) {
        writer.write(doi)
        writer.write(protocolID)
        writer.write(flags.rawValue)
        writer.write(messageType.rawValue)
        writer.write(data)
    }

    /// The meaning of the notify, for the message types AuthIP defines.
    public var content: NotifyContent {
        func u32() -> UInt32 { data.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }
        func u32(at i: Int) -> UInt32 { data.dropFirst(i).prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }
        switch messageType {
        case .exchangeInfo where data.count >= 4: return .exchangeInfo(ExchangeInfoFlags(rawValue: u32()))
        case .status where data.count >= 4, .legacyStatus where data.count >= 4: return .status(code: u32())
        case .dosCookie where data.count >= 8, .legacyDoSCookie where data.count >= 8:
            return .dosCookie(data.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
        case .acknowledgement where data.count >= 4: return .acknowledgement(sequenceNumber: u32())
        case .quickModeSynchronize: return .quickModeSynchronize
        case .acquire where data.count >= 8: return .acquire(encapsulationMode: u32(), flags: u32(at: 4))
        case .noProposalChosen: return .noProposalChosen
        default: return .other
        }
    }

    private static func be32(_ v: UInt32) -> [UInt8] {
        var w = ByteWriter()
        w.write(v)
        return w.bytes
    }

    /// NOTIFY_STATUS with a Win32/HRESULT error code; also the "delete state" notice.
    public static func status(
        code: UInt32, protocolID: UInt8 = mainModeProtocol, reliable: Bool = true
    ) -> NotifyPayload {
        NotifyPayload(
            messageType: InteropProfile.sentStatusNotify, data: be32(code), protocolID: protocolID,
            flags: reliable ? .reliable : [])
    }

    /// NOTIFY_ACK echoing the seqNUM of the Crypto payload it acknowledges.
    public static func acknowledgement(of sequenceNumber: UInt32, protocolID: UInt8 = mainModeProtocol) -> NotifyPayload
    {
        NotifyPayload(messageType: .acknowledgement, data: be32(sequenceNumber), protocolID: protocolID)
    }

    /// NOTIFY_DOS_COOKIE carrying the responder cookie the initiator must retry with.
    public static func dosCookie(_ cookie: UInt64) -> NotifyPayload {
        var w = ByteWriter()
        w.write(cookie)
        return NotifyPayload(messageType: InteropProfile.sentDoSCookieNotify, data: w.bytes)
    }

    /// NOTIFY_QM_SYNCHRONIZE: the end of a Quick Mode.
    public static let quickModeSynchronize = NotifyPayload(
        messageType: .quickModeSynchronize, protocolID: quickModeProtocol)

    /// NOTIFY_ACQUIRE (reliable): asks the peer to negotiate a new MM SA. Two ID payloads follow.
    public static func acquire(encapsulationMode: UInt32, flags: UInt32) -> NotifyPayload {
        NotifyPayload(
            messageType: .acquire, data: be32(encapsulationMode) + be32(flags), protocolID: quickModeProtocol,
            flags: .reliable)
    }

    /// EXCHANGE_INFO: negotiation-discovery flags.
    public static func exchangeInfo(_ flags: ExchangeInfoFlags) -> NotifyPayload {
        NotifyPayload(messageType: .exchangeInfo, data: be32(flags.rawValue), protocolID: quickModeProtocol)
    }
}

/// The flags byte of an AuthIP notify.
public struct NotifyFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// RELIABLE_NOTIFY_FLAG: the peer must answer with NOTIFY_ACK.
    public static let reliable = NotifyFlags(rawValue: 0x01)
}

/// The flags of EXCHANGE_INFO (negotiation discovery).
public struct ExchangeInfoFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let negotiationDiscoveryBoundary = ExchangeInfoFlags(rawValue: 0x1)
    public static let guaranteeEncryption = ExchangeInfoFlags(rawValue: 0x2)
}

/// A notify message type number.
public struct NotifyMessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// NO-PROPOSAL-CHOSEN (RFC 2408 §3.14.1).
    public static let noProposalChosen = NotifyMessageType(rawValue: 14)
    /// NOTIFY_STATUS as MS-IKEE numbers it; accepted on receipt (Docs/InteropProfile.md).
    public static let legacyStatus = NotifyMessageType(rawValue: 0x9C43)
    /// NOTIFY_DOS_COOKIE as MS-IKEE numbers it; accepted on receipt.
    public static let legacyDoSCookie = NotifyMessageType(rawValue: 0x9C44)
    public static let exchangeInfo = NotifyMessageType(rawValue: 0x9C45)
    public static let status = NotifyMessageType(rawValue: 0x9C54)
    public static let dosCookie = NotifyMessageType(rawValue: 0x9C55)
    public static let acknowledgement = NotifyMessageType(rawValue: 0x9C56)
    public static let quickModeSynchronize = NotifyMessageType(rawValue: 0x9C57)
    public static let acquire = NotifyMessageType(rawValue: 0x9C58)

    public var name: String {
        switch self {
        case .noProposalChosen: return "NO-PROPOSAL-CHOSEN"
        case .legacyStatus, .status: return "NOTIFY_STATUS"
        case .legacyDoSCookie, .dosCookie: return "NOTIFY_DOS_COOKIE"
        case .exchangeInfo: return "EXCHANGE_INFO"
        case .acknowledgement: return "NOTIFY_ACK"
        case .quickModeSynchronize: return "NOTIFY_QM_SYNCHRONIZE"
        case .acquire: return "NOTIFY_ACQUIRE"
        default: return "Notify(\(rawValue))"
        }
    }

    /// The data length AuthIP defines for this type, if it defines one; longer data is
    /// tolerated and its fixed part read.
    var dataLength: Int? {
        switch self {
        case .exchangeInfo, .status, .legacyStatus, .acknowledgement: return 4
        case .dosCookie, .legacyDoSCookie, .acquire: return 8
        case .quickModeSynchronize: return 0
        default: return nil
        }
    }

    public var description: String { name }
}

/// What a notify says, for the types AuthIP defines.
public enum NotifyContent: Hashable, Sendable {
    case exchangeInfo(ExchangeInfoFlags)
    case status(code: UInt32)
    case dosCookie(UInt64)
    case acknowledgement(sequenceNumber: UInt32)
    case quickModeSynchronize
    case acquire(encapsulationMode: UInt32, flags: UInt32)
    case noProposalChosen
    case other
}
