import COpenSSL

/// A CBC cipher of the MM cipher set, used by the Crypto payload (and Key Dictation).
public enum BlockCipher: String, Hashable, Sendable, CaseIterable {
    case des, tripleDES, aes128, aes192, aes256

    /// The RFC 2409 Appendix A encryption algorithm number: MS-AIPS's Crypto-ID, the
    /// AlgorithmID of the KDF's OtherInfo.
    public var cryptoID: UInt16 {
        switch self {
        case .des: return 1
        case .tripleDES: return 5
        case .aes128, .aes192, .aes256: return 7
        }
    }

    /// cryptLength of MS-AIPS note <10>.
    public var keyLength: Int {
        switch self {
        case .des: return 8
        case .tripleDES: return 24
        case .aes128: return 16
        case .aes192: return 24
        case .aes256: return 32
        }
    }

    public var blockSize: Int {
        switch self {
        case .des, .tripleDES: return 8
        case .aes128, .aes192, .aes256: return 16
        }
    }

    /// DES keys carry odd parity in every byte (RFC 2409 Appendix B / MS-AIPS 3.1.7.4).
    package var usesDESParity: Bool { self == .des || self == .tripleDES }

    /// The MM cipher from the transform's Encryption Algorithm and Key Length attributes.
    public init?(cryptoID: UInt16, keyLengthBits: UInt16?) {
        switch (cryptoID, keyLengthBits) {
        case (1, nil): self = .des
        case (5, nil): self = .tripleDES
        case (7, 128?): self = .aes128
        case (7, 192?): self = .aes192
        case (7, 256?): self = .aes256
        default: return nil
        }
    }

    var openSSLName: String {
        switch self {
        case .des: return "DES-CBC"
        case .tripleDES: return "DES-EDE3-CBC"
        case .aes128: return "AES-128-CBC"
        case .aes192: return "AES-192-CBC"
        case .aes256: return "AES-256-CBC"
        }
    }

    static let ciphers: [BlockCipher: Fetched<OpaquePointer>] = {
        _ = OpenSSL.legacyProviderLoaded
        var table: [BlockCipher: Fetched<OpaquePointer>] = [:]
        for cipher in BlockCipher.allCases {
            if let evp = EVP_CIPHER_fetch(nil, cipher.openSSLName, nil) { table[cipher] = Fetched(pointer: evp) }
        }
        return table
    }()

    /// CBC-encrypts `plaintext`, a whole number of blocks, without padding (one message:
    /// an SA's messages share a `KeyedBlockCipher`).
    public func encrypt(key: SecretBytes, iv: [UInt8], _ plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
        try KeyedBlockCipher(self, key: key).encrypt(iv: iv, plaintext)
    }

    /// CBC-decrypts `ciphertext`, a whole number of blocks, without removing padding.
    public func decrypt(key: SecretBytes, iv: [UInt8], _ ciphertext: [UInt8]) throws(CryptoError) -> [UInt8] {
        try KeyedBlockCipher(self, key: key).decrypt(iv: iv, ciphertext[...])
    }
}
