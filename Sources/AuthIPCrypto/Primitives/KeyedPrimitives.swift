import COpenSSL
import Foundation

/// A CBC cipher keyed once: its key schedule is made when it is created, and each message
/// only sets its IV (what sealing and opening the ~15 messages of a negotiation would otherwise
/// redo every time). Calls are serialized, so one value may be shared between threads.
public final class KeyedBlockCipher: @unchecked Sendable {
    public let cipher: BlockCipher
    // Used under `lock` only.
    private let encryptor: OpaquePointer
    private let decryptor: OpaquePointer
    private let lock = NSLock()

    public init(_ cipher: BlockCipher, key: SecretBytes) throws(CryptoError) {
        guard key.count == cipher.keyLength else { throw .invalidKeyLength }
        guard let evp = BlockCipher.ciphers[cipher]?.pointer else {
            throw .openSSL("\(cipher.openSSLName) unavailable")
        }
        guard let encryptor = EVP_CIPHER_CTX_new(), let decryptor = EVP_CIPHER_CTX_new() else {
            throw .openSSL("EVP_CIPHER_CTX_new failed")
        }
        self.cipher = cipher
        self.encryptor = encryptor
        self.decryptor = decryptor
        let keyed = key.withUnsafeBytes { bytes in
            [(encryptor, Int32(1)), (decryptor, Int32(0))].allSatisfy { context, encrypt in
                EVP_CipherInit_ex2(
                    context, evp, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, encrypt, nil) == 1
                    && EVP_CIPHER_CTX_set_padding(context, 0) == 1
            }
        }
        guard keyed else { throw .openSSL(OpenSSL.lastError()) }
    }

    deinit {
        EVP_CIPHER_CTX_free(encryptor)
        EVP_CIPHER_CTX_free(decryptor)
    }

    /// CBC-encrypts `plaintext`, a whole number of blocks, without padding.
    public func encrypt(iv: [UInt8], _ plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard iv.count == cipher.blockSize, plaintext.count % cipher.blockSize == 0 else { throw .invalidKeyLength }
        guard let output = plaintext.withUnsafeBytes({ run(encrypt: true, iv: iv, $0) }) else {
            throw .openSSL(OpenSSL.lastError())
        }
        return output
    }

    /// CBC-decrypts `ciphertext`, a whole number of blocks, without removing padding.
    public func decrypt(iv: [UInt8], _ ciphertext: ArraySlice<UInt8>) throws(CryptoError) -> [UInt8] {
        guard iv.count == cipher.blockSize, ciphertext.count % cipher.blockSize == 0 else { throw .invalidKeyLength }
        guard let output = ciphertext.withUnsafeBytes({ run(encrypt: false, iv: iv, $0) }) else {
            throw .openSSL(OpenSSL.lastError())
        }
        return output
    }

    /// The output, or nil when OpenSSL failed.
    private func run(encrypt: Bool, iv: [UInt8], _ input: UnsafeRawBufferPointer) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: input.count + cipher.blockSize)
        let context = encrypt ? encryptor : decryptor
        let written: Int32? = lock.withLock {
            iv.withUnsafeBytes { ivBytes in
                output.withUnsafeMutableBytes { outBytes -> Int32? in
                    let out = outBytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    // A null cipher and key keep the key schedule; only the IV changes.
                    guard
                        EVP_CipherInit_ex2(
                            context, nil, nil, ivBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), -1, nil) == 1
                    else { return nil }
                    var n: Int32 = 0
                    if input.count > 0 {
                        guard
                            EVP_CipherUpdate(
                                context, out, &n, input.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                Int32(input.count)) == 1
                        else { return nil }
                    }
                    var tail: Int32 = 0
                    guard EVP_CipherFinal_ex(context, out + Int(n), &tail) == 1 else { return nil }
                    return n + tail
                }
            }
        }
        guard let written else { return nil }
        output.removeLast(output.count - Int(written))
        return output
    }
}

/// An HMAC keyed once: each MAC restarts from the keyed state instead of hashing the key
/// pads again. Calls are serialized, so one value may be shared between threads.
public final class KeyedHMAC: @unchecked Sendable {
    public let hash: HashAlgorithm
    // Used under `lock` only.
    private let context: OpaquePointer
    private let lock = NSLock()

    public init(_ hash: HashAlgorithm, key: SecretBytes) {
        guard let pointer = EVP_MAC_CTX_dup(HashAlgorithm.hmacTemplates[hash]!.pointer) else {
            preconditionFailure("EVP_MAC_CTX_dup failed")
        }
        let zero: UInt8 = 0
        let keyed = key.withUnsafeBytes { bytes in
            withUnsafePointer(to: zero) { zeroPointer in
                EVP_MAC_init(
                    pointer, bytes.count > 0 ? bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) : zeroPointer,
                    bytes.count, nil)
            }
        }
        precondition(keyed == 1, "EVP_MAC_init failed: \(OpenSSL.lastError())")
        self.hash = hash
        context = pointer
    }

    deinit { EVP_MAC_CTX_free(context) }

    /// The HMAC of the concatenation of `parts`, truncated to `length` bytes.
    public func mac(_ parts: ArraySlice<UInt8>..., length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: hash.digestLength)
        lock.withLock {
            // No key: the key given at creation is used again.
            precondition(EVP_MAC_init(context, nil, 0, nil) == 1, "EVP_MAC_init failed")
            for part in parts {
                part.withUnsafeBytes {
                    _ = EVP_MAC_update(context, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count)
                }
            }
            var written = 0
            out.withUnsafeMutableBytes {
                _ = EVP_MAC_final(context, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), &written, $0.count)
            }
        }
        return Array(out.prefix(length))
    }
}
