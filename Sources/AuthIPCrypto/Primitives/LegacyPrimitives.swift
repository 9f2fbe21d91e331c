import COpenSSL

/// MD4 from OpenSSL's legacy provider: the NT one-way function of NTLM (MS-NLMP §3.3.1,
/// NTOWFv1 = MD4(UNICODE(Passwd))). Use it for nothing else.
public enum LegacyDigest {
    private static let md4Algorithm: Fetched<OpaquePointer>? = {
        guard OpenSSL.legacyProviderLoaded, let md = EVP_MD_fetch(nil, "MD4", nil) else { return nil }
        return Fetched(pointer: md)
    }()

    /// The MD4 digest of `data`. Traps when OpenSSL's legacy provider is missing, which is a
    /// broken installation rather than a runtime condition.
    public static func md4(_ data: [UInt8]) -> [UInt8] {
        guard let md = md4Algorithm?.pointer else {
            preconditionFailure("MD4 needs OpenSSL's legacy provider: \(OpenSSL.lastError())")
        }
        let ctx = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                EVP_DigestInit_ex(ctx, md, nil) == 1
                    && EVP_DigestUpdate(ctx, input.baseAddress, input.count) == 1
                    && EVP_DigestFinal_ex(ctx, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1
            }
        }
        precondition(ok && length == 16, "MD4 failed: \(OpenSSL.lastError())")
        return out
    }
}

/// RC4 from OpenSSL's legacy provider, as NTLM uses it: RC4K(KeyExchangeKey,
/// ExportedSessionKey) carries the exported session key in the AUTHENTICATE_MESSAGE
/// (MS-NLMP §3.1.5.1.2, §6). RC4 is its own inverse; the two entry points differ only in which
/// side is the secret.
public enum RC4 {
    private static let cipher: Fetched<OpaquePointer>? = {
        guard OpenSSL.legacyProviderLoaded, let evp = EVP_CIPHER_fetch(nil, "RC4", nil) else { return nil }
        return Fetched(pointer: evp)
    }()

    /// RC4 under `key` of a secret, giving bytes to send.
    public static func encrypt(key: SecretBytes, _ secret: SecretBytes) throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: secret.count)
        let ok = secret.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { run(key: key, input, into: $0) }
        }
        guard let ok else { throw .invalidKeyLength }
        guard ok else { throw .openSSL(OpenSSL.lastError()) }
        return output
    }

    /// RC4 under `key` of received bytes, giving the secret they carry.
    public static func decrypt(key: SecretBytes, _ ciphertext: [UInt8]) throws(CryptoError) -> SecretBytes {
        var ok: Bool?
        let secret = SecretBytes(count: ciphertext.count) { output in
            ok = ciphertext.withUnsafeBytes { run(key: key, $0, into: output) }
        }
        guard let ok else { throw .invalidKeyLength }
        guard ok else { throw .openSSL(OpenSSL.lastError()) }
        return secret
    }

    /// One RC4 pass of `input` into `output` (the same length); nil for a key that is not 16
    /// bytes or a missing legacy provider, false when OpenSSL refuses.
    private static func run(
        key: SecretBytes, _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> Bool? {
        guard key.count == 16, let cipher = cipher?.pointer else { return nil }
        guard input.count > 0 else { return true }
        let ctx = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(ctx) }
        return key.withUnsafeBytes { keyBytes in
            let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var n: Int32 = 0
            var tail: Int32 = 0
            return EVP_EncryptInit_ex2(ctx, cipher, keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil)
                == 1
                && EVP_EncryptUpdate(
                    ctx, out, &n, input.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(input.count)) == 1
                && EVP_EncryptFinal_ex(ctx, out + Int(n), &tail) == 1
                && Int(n + tail) == input.count
        }
    }
}
