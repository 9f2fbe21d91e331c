import COpenSSL

/// A hash of the MM integrity set; it is also AuthIP's PRF (as HMAC) and the hash of the
/// concatenation KDF.
public enum HashAlgorithm: String, Hashable, Sendable, CaseIterable {
    case md5, sha1, sha256, sha384

    /// hashLength of MS-AIPS note <10>.
    public var digestLength: Int {
        switch self {
        case .md5: return 16
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        }
    }

    /// The RFC 2409 Appendix A hash algorithm number (MD5 1, SHA 2; SHA2-256 4, SHA2-384 5
    /// from the IANA registry).
    public var ikeIdentifier: UInt16 {
        switch self {
        case .md5: return 1
        case .sha1: return 2
        case .sha256: return 4
        case .sha384: return 5
        }
    }

    public init?(ikeIdentifier: UInt16) {
        guard let match = HashAlgorithm.allCases.first(where: { $0.ikeIdentifier == ikeIdentifier }) else { return nil }
        self = match
    }

    var openSSLName: String {
        switch self {
        case .md5: return "MD5"
        case .sha1: return "SHA1"
        case .sha256: return "SHA256"
        case .sha384: return "SHA384"
        }
    }

    private static let digests: [HashAlgorithm: Fetched<OpaquePointer>] = {
        _ = OpenSSL.legacyProviderLoaded
        var table: [HashAlgorithm: Fetched<OpaquePointer>] = [:]
        for algorithm in HashAlgorithm.allCases {
            guard let md = EVP_MD_fetch(nil, algorithm.openSSLName, nil) else {
                preconditionFailure("OpenSSL has no \(algorithm.openSSLName): \(OpenSSL.lastError())")
            }
            table[algorithm] = Fetched(pointer: md)
        }
        return table
    }()

    /// HMAC contexts holding only the digest choice; each MAC duplicates one and sets a key.
    static let hmacTemplates: [HashAlgorithm: Fetched<OpaquePointer>] = {
        _ = OpenSSL.legacyProviderLoaded
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { preconditionFailure("OpenSSL has no HMAC") }
        var table: [HashAlgorithm: Fetched<OpaquePointer>] = [:]
        for algorithm in HashAlgorithm.allCases {
            guard let ctx = EVP_MAC_CTX_new(mac) else { preconditionFailure("EVP_MAC_CTX_new failed") }
            let ok = algorithm.openSSLName.withCString { name in
                let key = strdup(OSSL_MAC_PARAM_DIGEST)
                let value = strdup(name)
                defer { free(key); free(value) }
                var params = [OSSL_PARAM_construct_utf8_string(key, value, 0), OSSL_PARAM_construct_end()]
                return EVP_MAC_CTX_set_params(ctx, &params)
            }
            precondition(ok == 1, "HMAC-\(algorithm.openSSLName) unavailable: \(OpenSSL.lastError())")
            table[algorithm] = Fetched(pointer: ctx)
        }
        return table
    }()

    var evpMD: OpaquePointer { Self.digests[self]!.pointer }

    /// The hash of the concatenation of `parts`.
    public func digest(_ parts: [UInt8]...) -> [UInt8] {
        digest(parts: parts.map { .bytes($0) })
    }

    enum Part {
        case bytes([UInt8])
        case secret(SecretBytes)
    }

    func digest(parts: [Part]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: digestLength)
        digest(parts: parts, into: &out)
        return out
    }

    func digest(parts: [Part], into out: inout [UInt8]) {
        let ctx = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(ctx) }
        precondition(EVP_DigestInit_ex(ctx, evpMD, nil) == 1, "EVP_DigestInit_ex failed")
        for part in parts {
            switch part {
            case .bytes(let b): b.withUnsafeBytes { _ = EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
            case .secret(let s): s.withUnsafeBytes { _ = EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
            }
        }
        var length: UInt32 = 0
        out.withUnsafeMutableBytes {
            _ = EVP_DigestFinal_ex(ctx, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
        }
    }

    /// HMAC over the concatenation of `parts`; AuthIP's prf(key, message).
    public func hmac(key: SecretBytes, _ parts: [UInt8]...) -> [UInt8] {
        key.withUnsafeBytes { hmac(key: $0, parts: parts) }
    }

    /// HMAC with a plain key (test vectors).
    public func hmac(key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        key.withUnsafeBytes { hmac(key: $0, parts: parts) }
    }

    func hmac(key: UnsafeRawBufferPointer, parts: [[UInt8]]) -> [UInt8] {
        guard let ctx = EVP_MAC_CTX_dup(Self.hmacTemplates[self]!.pointer) else {
            preconditionFailure("EVP_MAC_CTX_dup failed")
        }
        defer { EVP_MAC_CTX_free(ctx) }
        // HMAC with an empty key is valid, but OpenSSL wants a non-null pointer for it.
        let zero: UInt8 = 0
        let initialized = withUnsafePointer(to: zero) { zeroPointer in
            EVP_MAC_init(
                ctx, key.count > 0 ? key.baseAddress!.assumingMemoryBound(to: UInt8.self) : zeroPointer, key.count, nil)
        }
        precondition(initialized == 1, "EVP_MAC_init failed: \(OpenSSL.lastError())")
        for part in parts {
            part.withUnsafeBytes {
                _ = EVP_MAC_update(ctx, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count)
            }
        }
        var out = [UInt8](repeating: 0, count: digestLength)
        var length = 0
        out.withUnsafeMutableBytes {
            _ = EVP_MAC_final(ctx, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, $0.count)
        }
        return out
    }
}
