import COpenSSL

/// Modular exponentiation in a MODP group with OpenSSL's constant-time BIGNUM code. The
/// primes come from OpenSSL's own RFC 2409 / RFC 3526 tables.
final class MODPArithmetic: @unchecked Sendable {
    private let prime: OpaquePointer
    private let primeMinusOne: OpaquePointer
    private let generator: OpaquePointer
    private let montgomery: OpaquePointer
    private let length: Int

    private init(prime: OpaquePointer, length: Int) {
        _ = OpenSSL.legacyProviderLoaded
        self.prime = prime
        self.length = length
        primeMinusOne = BN_dup(prime)
        BN_sub_word(primeMinusOne, 1)
        generator = BN_new()
        BN_set_word(generator, 2)
        let ctx = BN_CTX_new()
        defer { BN_CTX_free(ctx) }
        montgomery = BN_MONT_CTX_new()
        precondition(BN_MONT_CTX_set(montgomery, prime, ctx) == 1, "BN_MONT_CTX_set failed")
    }

    private static let modp1024 = MODPArithmetic(prime: BN_get_rfc2409_prime_1024(nil), length: 128)
    private static let modp2048 = MODPArithmetic(prime: BN_get_rfc3526_prime_2048(nil), length: 256)

    static func group(_ group: DiffieHellmanGroup) -> MODPArithmetic {
        group == .modp1024 ? modp1024 : modp2048
    }

    /// The prime, big-endian (test vectors compare it with the RFCs).
    var primeBytes: [UInt8] { Self.bytes(prime, length: length) }

    func publicValue(_ exponent: SecretBytes) throws(CryptoError) -> [UInt8] {
        let result = try power(base: generator, exponent: exponent)
        defer { BN_free(result) }
        return Self.bytes(result, length: length)
    }

    func sharedSecret(_ exponent: SecretBytes, _ peer: [UInt8]) throws(CryptoError) -> SecretBytes {
        let y = peer.withUnsafeBytes {
            BN_bin2bn($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32($0.count), nil)
        }!
        defer { BN_free(y) }
        guard !BN_is_zero(y).isTrue, !BN_is_one(y).isTrue, BN_cmp(y, primeMinusOne) < 0 else {
            throw .invalidPublicValue
        }
        let z = try power(base: y, exponent: exponent)
        defer { BN_clear_free(z) }
        return SecretBytes(count: length) { out in
            _ = BN_bn2binpad(z, out.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(length))
        }
    }

    private func power(base: OpaquePointer, exponent: SecretBytes) throws(CryptoError) -> OpaquePointer {
        guard !exponent.isEmpty else { throw .invalidPrivateKey }
        let ctx = BN_CTX_secure_new()
        defer { BN_CTX_free(ctx) }
        let x = exponent.withUnsafeBytes {
            BN_bin2bn($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32($0.count), BN_secure_new())
        }!
        defer { BN_clear_free(x) }
        guard !BN_is_zero(x).isTrue else { throw .invalidPrivateKey }
        BN_set_flags(x, BN_FLG_CONSTTIME)
        let result = BN_new()!
        guard BN_mod_exp_mont_consttime(result, base, x, prime, ctx, montgomery) == 1 else {
            BN_free(result)
            throw .openSSL(OpenSSL.lastError())
        }
        return result
    }

    static func bytes(_ bn: OpaquePointer, length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        out.withUnsafeMutableBytes {
            _ = BN_bn2binpad(bn, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(length))
        }
        return out
    }
}

extension Int32 {
    var isTrue: Bool { self != 0 }
}
