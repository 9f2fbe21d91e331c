/// What every payload body type provides: its payload number, how to read its body (the
/// bytes after the 4-byte generic header) and how to write it back.
protocol WirePayload: Hashable, Sendable {
    static var payloadType: PayloadType { get }
    /// Reads the body; `reader` covers exactly the body, and the body must be consumed.
    init(body reader: inout ByteReader) throws(WireError)
    func writeBody(to writer: inout ByteWriter)
}

/// A payload whose body is one opaque byte string (KE, Nonce, Hash, NAT-D, Key Dictation).
protocol OpaquePayload: WirePayload {
    var data: [UInt8] { get }
    init(data: [UInt8])
}

extension OpaquePayload {
    init(body reader: inout ByteReader) throws(WireError) {
        self.init(data: reader.readRest())
    }

    func writeBody(to writer: inout ByteWriter) {
        writer.write(data)
    }
}

/// Key Exchange (RFC 2408 §3.7): the sender's public DH value. Present in MM only when the
/// method needs DH (Anonymous, NTLM), in QM only with PFS.
public struct KeyExchangePayload: OpaquePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.keyExchange
    public var data: [UInt8]
    public init(data: [UInt8]) { self.data = data }
}

/// Nonce (RFC 2408 §3.13): Ni, Nr, Ni(qm) or Nr(qm).
public struct NoncePayload: OpaquePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.nonce
    public var data: [UInt8]
    public init(data: [UInt8]) { self.data = data }
}

/// Hash (RFC 2408 §3.11): in AuthIP it carries the proofs Auth1–Auth4.
public struct HashPayload: OpaquePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.hash
    public var data: [UInt8]
    public init(data: [UInt8]) { self.data = data }
}

/// NAT-D (RFC 3947 §3.2): the hash of one side's address and port.
public struct NATDiscoveryPayload: OpaquePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.natDiscovery
    public var data: [UInt8]
    public init(data: [UInt8]) { self.data = data }
}

/// Key Dictation (0x88): QM keys dictated by the side with the higher weight. Its plaintext
/// layout is unspecified (Docs/InteropProfile.md), so the body stays opaque.
public struct KeyDictationPayload: OpaquePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.keyDictation
    public var data: [UInt8]
    public init(data: [UInt8]) { self.data = data }
}

/// Key Dictation Weight (0x89): the higher weight wins the right to dictate QM keys.
public struct KeyDictationWeightPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.keyDictationWeight
    public var weight: UInt32

    public init(weight: UInt32) { self.weight = weight }

    init(body reader: inout ByteReader) throws(WireError) {
        guard reader.remaining == 4 else {
            throw reader.error(.badLength(field: "Key Dictation Weight", value: reader.remaining + 4))
        }
        weight = try reader.readUInt32("weight")
    }

    func writeBody(to writer: inout ByteWriter) { writer.write(weight) }
}
