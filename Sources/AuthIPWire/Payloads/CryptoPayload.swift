/// Crypto (0x85, MS-AIPS §2.2.3.2): the first payload of every AuthIP message but the DoS
/// cookie reply and fragments. Clear messages carry it "empty" (seqNUM and an optional
/// 8-byte IV) before the clear payload chain; encrypted ones carry every other payload
/// inside it.
///
/// In an encrypted message the Payload Length covers the generic header, seqNUM and IV only,
/// and `protectedContent` (ciphertext, then the ICV) runs to the end of the message
/// (Docs/InteropProfile.md, RISK 9).
public struct CryptoPayload: Hashable, Sendable {
    public static let payloadType = PayloadType.crypto
    /// IV lengths of a clear Crypto payload: none, or the profile's optional IV.
    public static let clearIVLengths: Set<Int> = [0, InteropProfile.clearCryptoPayloadIVLength]
    /// IV lengths of an encrypted one: the CBC block size of DES/3DES or AES.
    public static let encryptedIVLengths: Set<Int> = [8, 16]

    public var sequenceNumber: UInt32
    public var iv: [UInt8]
    /// Ciphertext and ICV, present exactly when the header's E flag is set.
    public var protectedContent: [UInt8]?
    /// The Next Payload an encrypted Crypto payload carried: we send 0 (the first inner type is
    /// in the trailer); a peer's other value is tolerated, ignored and kept for the round trip.
    public var encryptedNextPayload: PayloadType = .none

    public init(sequenceNumber: UInt32, iv: [UInt8] = [], protectedContent: [UInt8]? = nil) {
        self.sequenceNumber = sequenceNumber
        self.iv = iv
        self.protectedContent = protectedContent
    }

    /// The Payload Length this payload carries on the wire.
    public var headerLength: Int { GenericPayloadHeader.size + 4 + iv.count }

    init(body reader: inout ByteReader, encrypted: Bool, rest: inout ByteReader) throws(WireError) {
        let start = reader.offset - GenericPayloadHeader.size
        guard (encrypted ? Self.encryptedIVLengths : Self.clearIVLengths).contains(reader.remaining - 4) else {
            throw WireError(.badLength(field: "Crypto", value: reader.remaining + GenericPayloadHeader.size), at: start)
        }
        sequenceNumber = try reader.readUInt32("seqNUM")
        iv = reader.readRest()
        if encrypted {
            guard !rest.isAtEnd else {
                throw rest.error(.truncated(field: "encrypted content", needed: 1, available: 0))
            }
            protectedContent = rest.readRest()
        } else {
            protectedContent = nil
        }
    }

    func writeBody(to writer: inout ByteWriter) {
        writer.write(sequenceNumber)
        writer.write(iv)
    }
}
