/// The 28-byte ISAKMP header (RFC 2408 §3.1) as AuthIP uses it. The Next Payload and Length
/// fields are not stored: they follow from the message's payloads when it is serialized.
public struct ISAKMPHeader: Hashable, Sendable {
    public static let size = 28

    public var initiatorCookie: UInt64
    public var responderCookie: UInt64
    public var majorVersion: UInt8
    public var minorVersion: UInt8
    public var exchangeType: ExchangeType
    public var flags: HeaderFlags
    public var messageID: UInt32

    public init(
        initiatorCookie: UInt64, responderCookie: UInt64 = 0, majorVersion: UInt8 = 1, minorVersion: UInt8 = 0,
        exchangeType: ExchangeType, flags: HeaderFlags = [], messageID: UInt32 = 0
    ) {
        self.initiatorCookie = initiatorCookie
        self.responderCookie = responderCookie
        self.majorVersion = majorVersion
        self.minorVersion = minorVersion
        self.exchangeType = exchangeType
        self.flags = flags
        self.messageID = messageID
    }

    /// The header bytes with the given Next Payload and Length.
    public func serialized(nextPayload: PayloadType, length: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: ISAKMPHeader.size)
        write(to: &writer, nextPayload: nextPayload, length: length)
        return writer.bytes
    }

    func write(to writer: inout ByteWriter, nextPayload: PayloadType, length: UInt32) {
        writer.write(initiatorCookie)
        writer.write(responderCookie)
        writer.write(nextPayload.rawValue)
        writer.write(majorVersion << 4 | minorVersion & 0x0F)
        writer.write(exchangeType.rawValue)
        writer.write(flags.rawValue)
        writer.write(messageID)
        writer.write(length)
    }

    /// Reads the header and checks it against the datagram: a known AuthIP exchange type, a
    /// major version of at least 1, no flag but E, and a Length equal to the datagram's size.
    static func parse(_ reader: inout ByteReader) throws(WireError) -> (ISAKMPHeader, PayloadType) {
        let datagramSize = reader.remaining
        let initiatorCookie = try reader.readUInt64("initiator cookie")
        let responderCookie = try reader.readUInt64("responder cookie")
        let nextPayload = PayloadType(rawValue: try reader.readUInt8("next payload"))
        let versionOffset = reader.offset
        let version = try reader.readUInt8("version")
        guard version >> 4 >= 1 else {
            throw WireError(
                .unknownCriticalValue(field: "major version", value: UInt64(version >> 4)), at: versionOffset)
        }
        let exchangeOffset = reader.offset
        let exchangeType = ExchangeType(rawValue: try reader.readUInt8("exchange type"))
        guard ExchangeType.all.contains(exchangeType) else {
            throw WireError(
                .unknownCriticalValue(field: "exchange type", value: UInt64(exchangeType.rawValue)), at: exchangeOffset)
        }
        let flagsOffset = reader.offset
        let flags = HeaderFlags(rawValue: try reader.readUInt8("flags"))
        guard flags.subtracting(.encrypted).isEmpty else {
            throw WireError(.invalidValue(field: "header flags", reason: "only the E bit may be set"), at: flagsOffset)
        }
        let messageID = try reader.readUInt32("message ID")
        let lengthOffset = reader.offset
        let length = try reader.readUInt32("length")
        if length < ISAKMPHeader.size {
            throw WireError(.badLength(field: "message", value: Int(length)), at: lengthOffset)
        }
        if Int(length) > datagramSize {
            throw WireError(
                .truncated(field: "message", needed: Int(length), available: datagramSize), at: lengthOffset)
        }
        if Int(length) < datagramSize {
            throw WireError(.trailingBytes(field: "message", count: datagramSize - Int(length)), at: Int(length))
        }
        let header = ISAKMPHeader(
            initiatorCookie: initiatorCookie, responderCookie: responderCookie,
            majorVersion: version >> 4, minorVersion: version & 0x0F,
            exchangeType: exchangeType, flags: flags, messageID: messageID)
        return (header, nextPayload)
    }
}
