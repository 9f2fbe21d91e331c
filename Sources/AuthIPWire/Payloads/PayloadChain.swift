/// A chain of payloads linked by their Next Payload fields: the clear payloads of a message,
/// or the plaintext found inside an encrypted Crypto payload.
public enum PayloadChain {
    /// More payloads than any AuthIP message carries (MM #1 has about a dozen).
    public static let maximumPayloads = 64

    /// Parses a whole chain that starts with a payload of type `first`. `offsetBase` is
    /// added to reported offsets (for a chain decrypted out of a message).
    public static func parse(_ bytes: [UInt8], first: PayloadType, offsetBase: Int = 0) throws(WireError) -> [Payload] {
        var reader = ByteReader(bytes, offsetBase: offsetBase)
        return try parse(&reader, first: first)
    }

    static func parse(
        _ reader: inout ByteReader, first: PayloadType, appendingTo initial: [Payload] = []
    ) throws(WireError) -> [Payload] {
        var payloads = initial
        var next = first
        while next != .none {
            guard payloads.count < maximumPayloads else { throw reader.error(.tooManyPayloads(limit: maximumPayloads)) }
            let type = next
            let typeOffset = reader.offset
            var critical = false
            var body = try GenericPayloadHeader.read(&reader, field: type.name, next: &next, critical: &critical)
            payloads.append(try Payload.parseBody(type: type, critical: critical, &body, typeOffset: typeOffset))
        }
        try reader.expectEnd("payload chain")
        return payloads
    }

    /// The serialized chain and the type of its first payload (`.none` for an empty chain).
    public static func serialize(_ payloads: [Payload]) -> (first: PayloadType, bytes: [UInt8]) {
        var writer = ByteWriter(capacity: 256)
        write(payloads, to: &writer)
        return (payloads.first?.type ?? .none, writer.bytes)
    }

    static func write(_ payloads: [Payload], to writer: inout ByteWriter) {
        for (index, payload) in payloads.enumerated() {
            var next = index + 1 < payloads.count ? payloads[index + 1].type : .none
            if case .crypto(let crypto) = payload {
                if crypto.protectedContent != nil { next = crypto.encryptedNextPayload }
                writeCrypto(crypto, next: next, to: &writer)
                continue
            }
            GenericPayloadHeader.write(to: &writer, next: next) { writer in payload.writeBody(to: &writer) }
        }
    }

    /// The Crypto payload's length covers its header, seqNUM and IV; the protected content
    /// follows outside it.
    private static func writeCrypto(_ crypto: CryptoPayload, next: PayloadType, to writer: inout ByteWriter) {
        GenericPayloadHeader.write(to: &writer, next: next) { writer in crypto.writeBody(to: &writer) }
        if let content = crypto.protectedContent { writer.write(content) }
    }
}
