/// An AuthIP message: the ISAKMP header and its payloads in wire order.
///
/// Parsing checks the layout only (lengths, known types, the place of the Crypto payload);
/// what a message must contain in a given exchange is the engine's business. For every
/// message it accepts, `Message(parsing: m.serialized()) == m`.
public struct Message: Hashable, Sendable {
    public var header: ISAKMPHeader
    public var payloads: [Payload]

    public init(header: ISAKMPHeader, payloads: [Payload]) {
        self.header = header
        self.payloads = payloads
    }

    /// Parses one datagram (without the 4-byte non-ESP marker of port 4500).
    public init(parsing bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        let (header, first) = try ISAKMPHeader.parse(&reader)
        self.header = header
        // MM #1 (no responder cookie yet) cannot be encrypted: its E flag is ignored
        // (MS-AIPS 3.3.5.1) and kept in the header.
        let encrypted =
            header.flags.contains(.encrypted) && !(header.exchangeType == .mainMode && header.responderCookie == 0)
        guard first == .crypto else {
            if encrypted {
                throw WireError(
                    .invalidValue(field: "next payload", reason: "an encrypted message starts with Crypto"), at: 16)
            }
            payloads = try PayloadChain.parse(&reader, first: first)
            return
        }
        var next = PayloadType.none
        var body = try GenericPayloadHeader.read(&reader, field: "Crypto", next: &next)
        var crypto = try CryptoPayload(body: &body, encrypted: encrypted, rest: &reader)
        if encrypted {
            crypto.encryptedNextPayload = next
            payloads = [.crypto(crypto)]
            return
        }
        payloads = try PayloadChain.parse(&reader, first: next, appendingTo: [.crypto(crypto)])
    }

    /// The wire bytes, with Next Payload fields and lengths computed.
    public func serialized() -> [UInt8] {
        var writer = ByteWriter(capacity: 512)
        header.write(to: &writer, nextPayload: payloads.first?.type ?? .none, length: 0)
        PayloadChain.write(payloads, to: &writer)
        let length = UInt32(truncatingIfNeeded: writer.bytes.count)
        for i in 0..<4 { writer.bytes[24 + i] = UInt8(truncatingIfNeeded: length >> UInt32(24 - 8 * i)) }
        return writer.bytes
    }

    /// The Crypto payload, when the message has one.
    public var crypto: CryptoPayload? {
        if case .crypto(let c) = payloads.first { return c }
        return nil
    }

    /// The payloads after the Crypto payload (all of them when there is none).
    public var clearPayloads: [Payload] {
        crypto == nil ? payloads : Array(payloads.dropFirst())
    }
}
