/// Bounds-checked reading of an NTLM message: every read of a short or inconsistent message
/// throws SEC_E_INVALID_TOKEN instead of trapping.
struct NTLMMessageReader {
    static let signature: [UInt8] = Array("NTLMSSP\0".utf8)

    let bytes: [UInt8]
    private let name: String

    /// Checks the signature and MessageType (and the fixed part's length) of a message.
    init(_ bytes: [UInt8], type: UInt32, name: String, fixedLength: Int) throws(GSSFailure) {
        self.bytes = bytes
        self.name = name
        guard bytes.count >= fixedLength else {
            throw invalid("is \(bytes.count) bytes, shorter than its \(fixedLength)-byte header")
        }
        guard bytes.starts(with: Self.signature) else { throw invalid("does not start with the NTLMSSP signature") }
        let found = try uint32(at: 8)
        guard found == type else { throw invalid("has MessageType \(found), not \(type)") }
    }

    func invalid(_ reason: String) -> GSSFailure {
        GSSFailure(.secEInvalidToken, "the NTLM \(name) \(reason)")
    }

    func bytes(at offset: Int, count: Int) throws(GSSFailure) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw invalid("ends before byte \(offset) + \(count)")
        }
        return Array(bytes[offset..<offset + count])
    }

    func uint16(at offset: Int) throws(GSSFailure) -> UInt16 {
        let b = try bytes(at: offset, count: 2)
        return UInt16(b[0]) | UInt16(b[1]) << 8
    }

    func uint32(at offset: Int) throws(GSSFailure) -> UInt32 {
        let b = try bytes(at: offset, count: 4)
        return b.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The payload of the field descriptor (Len, MaxLen, BufferOffset) at `offset`. An empty
    /// field's BufferOffset is not checked: peers fill it in differently.
    func field(at offset: Int, _ field: String) throws(GSSFailure) -> Field {
        let length = Int(try uint16(at: offset))
        let bufferOffset = Int(try uint32(at: offset + 4))
        guard length > 0 else { return Field(bytes: [], offset: nil) }
        guard bufferOffset <= bytes.count, length <= bytes.count - bufferOffset else {
            throw invalid("has a \(field) of \(length) bytes at \(bufferOffset), past its end (\(bytes.count))")
        }
        return Field(bytes: Array(bytes[bufferOffset..<bufferOffset + length]), offset: bufferOffset)
    }

    func text(_ field: Field, unicode: Bool, _ name: String) throws(GSSFailure) -> String {
        guard unicode else { return NTLMText.fromOEM(field.bytes) }
        guard let text = NTLMText.fromUTF16LittleEndian(field.bytes) else {
            throw invalid("has an odd-length Unicode \(name)")
        }
        return text
    }

    struct Field {
        var bytes: [UInt8]
        /// Where the bytes start, nil for an empty field.
        var offset: Int?
    }

    /// The smallest offset of a non-empty field: the end of the fixed part as the sender laid
    /// it out, which tells whether the optional Version and MIC are there.
    static func payloadStart(_ fields: [Field], messageLength: Int) -> Int {
        fields.compactMap(\.offset).min() ?? messageLength
    }
}

/// Lays out an NTLM message: the fixed part with field descriptors, then the payload.
struct NTLMMessageWriter {
    private(set) var bytes: [UInt8]
    private var payload: [UInt8] = []
    private let fixedLength: Int

    init(type: UInt32, fixedLength: Int) {
        self.fixedLength = fixedLength
        bytes = NTLMMessageReader.signature
        append(type)
    }

    mutating func append(_ value: UInt32) {
        bytes += (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    mutating func append(_ raw: [UInt8]) { bytes += raw }

    /// Writes a field descriptor now and its bytes into the payload.
    mutating func appendField(_ value: [UInt8]) {
        appendFields([value], payloadOrder: [0])
    }

    /// Writes consecutive field descriptors, placing their bytes in the payload in
    /// `payloadOrder` (indices into `values`).
    mutating func appendFields(_ values: [[UInt8]], payloadOrder: [Int]) {
        var offsets = [Int](repeating: 0, count: values.count)
        for index in payloadOrder {
            offsets[index] = fixedLength + payload.count
            payload += values[index]
        }
        for (value, offset) in zip(values, offsets) {
            let length = UInt16(truncatingIfNeeded: value.count)
            bytes += [UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8)]
            bytes += [UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8)]
            append(UInt32(offset))
        }
    }

    func finished() -> [UInt8] {
        precondition(bytes.count == fixedLength, "NTLM fixed part laid out wrongly")
        return bytes + payload
    }
}
