import COpenSSL

/// MD4 from OpenSSL's legacy provider: the NT one-way function of NTLM (MS-NLMP §3.3.1,
/// NTOWFv1 = MD4(UNICODE(Passwd))). Use it for nothing else.
public enum LegacyDigest {
    private static let md4Algorithm: Fetched<OpaquePointer>? = {
        guard OpenSSL.legacyProviderLoaded, let md = EVP_MD_fetch(nil, "MD4", nil) else { return nil }
        return Fetched(pointer: md)
    }()

    /// Whether MD4 is available (OpenSSL's legacy provider loaded).
    public static var isAvailable: Bool { md4Algorithm != nil }

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

/// RC4 from OpenSSL's legacy provider, as NTLM uses it: RC4K(key, message) encrypts the
/// exported session key under the key-exchange key (MS-NLMP §6). RC4 is its own inverse.
public enum RC4 {
    private static let cipher: Fetched<OpaquePointer>? = {
        guard OpenSSL.legacyProviderLoaded, let evp = EVP_CIPHER_fetch(nil, "RC4", nil) else { return nil }
        return Fetched(pointer: evp)
    }()

    /// Whether RC4 is available (OpenSSL's legacy provider loaded).
    public static var isAvailable: Bool { cipher != nil }

    /// RC4 keyed with `key` (16 bytes, as NTLM uses it) applied once to `message`.
    public static func apply(key: SecretBytes, _ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard key.count == 16 else { throw .invalidKeyLength }
        guard let cipher = cipher?.pointer else { throw .openSSL("RC4 needs OpenSSL's legacy provider") }
        let ctx = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(ctx) }
        var output = [UInt8](repeating: 0, count: message.count + 16)
        var written: Int32 = 0
        let ok: Bool = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { input in
                output.withUnsafeMutableBytes { outBytes in
                    let out = outBytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    guard EVP_EncryptInit_ex2(ctx, cipher, keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil) == 1
                    else { return false }
                    var n: Int32 = 0
                    if message.count > 0 {
                        guard EVP_EncryptUpdate(ctx, out, &n, input.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                Int32(message.count)) == 1 else { return false }
                    }
                    var tail: Int32 = 0
                    guard EVP_EncryptFinal_ex(ctx, out + Int(n), &tail) == 1 else { return false }
                    written = n + tail
                    return true
                }
            }
        }
        guard ok else { throw .openSSL(OpenSSL.lastError()) }
        output.removeLast(output.count - Int(written))
        return output
    }
}
