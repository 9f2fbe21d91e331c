/// The 4-byte generic payload header (RFC 2408 §3.2): Next Payload, RESERVED (0 on send; on
/// receipt only its top bit counts, IKEv2's critical bit, for payload types we do not know),
/// Payload Length including the header.
enum GenericPayloadHeader {
    static let size = 4
    static let criticalBit: UInt8 = 0x80

    /// Reads one header, stores its Next Payload in `next` and returns a reader over the body.
    static func read(_ reader: inout ByteReader, field: String, next: inout PayloadType) throws(WireError) -> ByteReader
    {
        var critical = false
        return try read(&reader, field: field, next: &next, critical: &critical)
    }

    /// Reads one header, also reporting whether its critical bit is set.
    static func read(
        _ reader: inout ByteReader, field: String, next: inout PayloadType, critical: inout Bool
    ) throws(WireError) -> ByteReader {
        let start = reader.offset
        guard reader.remaining >= size else {
            throw reader.error(.truncated(field: "\(field) header", needed: size, available: reader.remaining))
        }
        next = PayloadType(rawValue: try reader.readUInt8("next payload"))
        critical = try reader.readUInt8("reserved") & criticalBit != 0
        let length = Int(try reader.readUInt16("payload length"))
        guard length >= size else {
            throw WireError(.badLength(field: field, value: length), at: start)
        }
        guard length - size <= reader.remaining else {
            throw WireError(.truncated(field: field, needed: length, available: reader.remaining + size), at: start)
        }
        return try reader.subReader(length - size, field)
    }

    /// Writes a header whose length covers what `body` writes.
    static func write(to writer: inout ByteWriter, next: PayloadType, body: (inout ByteWriter) -> Void) {
        let start = writer.bytes.count
        writer.write(next.rawValue)
        writer.write(UInt8(0))
        let lengthPosition = writer.reserveLength()
        body(&writer)
        writer.patchLength(at: lengthPosition, from: start)
    }
}
