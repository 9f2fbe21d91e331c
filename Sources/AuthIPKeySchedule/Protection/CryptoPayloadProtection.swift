import AuthIPCrypto
import AuthIPWire
import COpenSSL

/// Seals and opens encrypted AuthIP messages (MS-AIPS 2.2.3.2, E flag set), ESP-style:
/// Crypto payload header, seqNUM and IV, then CBC ciphertext of (payload chain || padding
/// 1, 2, 3, ... || pad length || first payload type), then the ICV: the MM HMAC keyed with
/// SKEYID_a over everything before it, computed with the header Length set to 0. The cipher
/// key comes from SKEYID_e; both directions share the keys.
public struct CryptoPayloadProtection: Sendable {
    public let algorithms: MainModeAlgorithms
    public let icvLength: Int
    /// The cipher keyed once for the SA's life (or why the key does not fit it).
    private let cipher: Result<KeyedBlockCipher, CryptoError>
    /// HMAC keyed with SKEYID_a once.
    private let mac: KeyedHMAC

    /// - Parameters:
    ///   - algorithms: the Main Mode cipher and hash.
    ///   - keys: the Main Mode keys (the encryption key and SKEYID_a).
    ///   - legacyICV: the peer sent "MS NT5 ISAKMPOAKLEY" version 5, 6 or 7, whose ICV is 12
    ///     bytes whatever the hash.
    public init(algorithms: MainModeAlgorithms, keys: MainModeKeys, legacyICV: Bool) {
        self.init(
            algorithms: algorithms, encryptionKey: keys.encryptionKey, integrityKey: keys.skeyidA, legacyICV: legacyICV)
    }

    public init(algorithms: MainModeAlgorithms, encryptionKey: SecretBytes, integrityKey: SecretBytes, legacyICV: Bool)
    {
        self.algorithms = algorithms
        cipher = Result { () throws(CryptoError) in try KeyedBlockCipher(algorithms.cipher, key: encryptionKey) }
        mac = KeyedHMAC(algorithms.hash, key: integrityKey)
        self.icvLength = Self.icvLength(hash: algorithms.hash, legacyICV: legacyICV)
    }

    /// 12 bytes for MD5 and SHA-1 (and for old Windows peers), else the RFC 4868 truncation.
    public static func icvLength(hash: HashAlgorithm, legacyICV: Bool) -> Int {
        if legacyICV { return 12 }
        switch hash {
        case .md5, .sha1: return 12
        case .sha256: return 16
        case .sha384: return 24
        }
    }

    /// The whole datagram for `payloads` under `header` (whose E flag is set here), with a
    /// fresh random IV.
    public func seal(
        header: ISAKMPHeader, sequenceNumber: UInt32, payloads: [Payload],
        random: inout some RandomSource
    ) throws(CryptoError) -> [UInt8] {
        try seal(
            header: header, sequenceNumber: sequenceNumber, iv: random.bytes(algorithms.cipher.blockSize),
            payloads: payloads)
    }

    /// As above with a given IV (test vectors, replays).
    public func seal(
        header: ISAKMPHeader, sequenceNumber: UInt32, iv: [UInt8], payloads: [Payload]
    ) throws(CryptoError) -> [UInt8] {
        let (first, chain) = PayloadChain.serialize(payloads)
        return try seal(header: header, sequenceNumber: sequenceNumber, iv: iv, firstPayload: first, chain: chain)
    }

    /// Seals an already serialized payload chain whose first payload is `firstPayload`.
    /// `namingFirstPayload` also puts the first inner type in the Crypto payload's Next Payload
    /// (a variant some peers may send; we send 0).
    public func seal(
        header: ISAKMPHeader, sequenceNumber: UInt32, iv: [UInt8], firstPayload: PayloadType,
        chain: [UInt8], namingFirstPayload: Bool = false
    ) throws(CryptoError) -> [UInt8] {
        let blockSize = algorithms.cipher.blockSize
        guard iv.count == blockSize else { throw .invalidKeyLength }
        let padLength = (blockSize - (chain.count + 2) % blockSize) % blockSize
        var plaintext = chain
        plaintext.reserveCapacity(chain.count + padLength + 2)
        for i in 0..<padLength { plaintext.append(UInt8(i + 1)) }
        plaintext.append(UInt8(padLength))
        plaintext.append(firstPayload.rawValue)
        defer { wipe(&plaintext) }
        let ciphertext = try cipher.get().encrypt(iv: iv, plaintext)

        var sealedHeader = header
        sealedHeader.flags.insert(.encrypted)
        var crypto = CryptoPayload(
            sequenceNumber: sequenceNumber, iv: iv,
            protectedContent: ciphertext + [UInt8](repeating: 0, count: icvLength))
        if namingFirstPayload { crypto.encryptedNextPayload = firstPayload }
        var message = Message(header: sealedHeader, payloads: [.crypto(crypto)]).serialized()
        let icvStart = message.count - icvLength
        let icv = integrityCheck(message[0..<icvStart])
        message.replaceSubrange(icvStart..., with: icv)
        return message
    }

    /// An opened message: its outer header and Crypto fields, the inner payloads, and the
    /// plaintext chain they were parsed from (the Auth transcripts hash it).
    public struct Opened: Sendable, Hashable {
        public var header: ISAKMPHeader
        public var sequenceNumber: UInt32
        public var payloads: [Payload]
        public var plaintextChain: [UInt8]
    }

    /// Why an encrypted message could not be opened.
    public enum OpenError: Error, Hashable, Sendable {
        /// The outer framing is not a message (offsets as in the datagram).
        case malformed(WireError)
        /// The message is not encrypted.
        case notEncrypted
        /// The IV or the ciphertext length does not fit the cipher.
        case badLength
        /// The ICV does not match: wrong keys, or the message was altered.
        case integrityCheckFailed
        /// The padding is not 1, 2, 3, ... or its length is impossible.
        case badPadding
        /// The decrypted payload chain is malformed (offsets within the plaintext).
        case malformedPlaintext(WireError)
    }

    /// Checks the ICV, decrypts and parses the inner chain.
    public func open(_ datagram: [UInt8]) throws(OpenError) -> Opened {
        let message: Message
        do {
            message = try Message(parsing: datagram)
        } catch {
            throw .malformed(error)
        }
        return try open(message, datagram: datagram)
    }

    /// As above, for a datagram already parsed into `message`.
    public func open(_ message: Message, datagram: [UInt8]) throws(OpenError) -> Opened {
        guard let crypto = message.crypto, let content = crypto.protectedContent else { throw .notEncrypted }
        let blockSize = algorithms.cipher.blockSize
        guard crypto.iv.count == blockSize, content.count >= icvLength + blockSize,
            (content.count - icvLength) % blockSize == 0
        else { throw .badLength }

        let expected = integrityCheck(datagram[0..<(datagram.count - icvLength)])
        let matches = expected.withUnsafeBytes { a in
            datagram.withUnsafeBytes { b in
                CRYPTO_memcmp(a.baseAddress, b.baseAddress! + (datagram.count - icvLength), icvLength) == 0
            }
        }
        guard matches else { throw .integrityCheckFailed }

        var plaintext: [UInt8]
        do {
            plaintext = try cipher.get().decrypt(iv: crypto.iv, content.dropLast(icvLength))
        } catch {
            throw .badLength
        }
        let firstPayload = PayloadType(rawValue: plaintext[plaintext.count - 1])
        let padLength = Int(plaintext[plaintext.count - 2])
        guard padLength + 2 <= plaintext.count,
            plaintext[(plaintext.count - 2 - padLength)..<(plaintext.count - 2)].elementsEqual(
                (0..<padLength).map { UInt8($0 + 1) })
        else { throw .badPadding }
        plaintext.removeLast(padLength + 2)
        do {
            let payloads = try PayloadChain.parse(plaintext, first: firstPayload)
            return Opened(
                header: message.header, sequenceNumber: crypto.sequenceNumber, payloads: payloads,
                plaintextChain: plaintext)
        } catch {
            wipe(&plaintext)
            throw .malformedPlaintext(error)
        }
    }

    /// HMAC with SKEYID_a over `bytes` with its Length field (bytes 24–27) taken as zero,
    /// truncated.
    private func integrityCheck(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        let start = bytes.startIndex
        return mac.mac(
            bytes[start..<(start + 24)], [0, 0, 0, 0][...], bytes[(start + 28)...], length: icvLength)
    }
}
