import COpenSSL

/// Scalar multiplication on the NIST curves P-256 and P-384 with OpenSSL's EC_POINT code.
/// Public values are x || y, fixed length (RFC 5903 §7); the shared secret is x alone.
final class ECPArithmetic: @unchecked Sendable {
    private let group: OpaquePointer
    private let fieldPrime: OpaquePointer
    private let order: OpaquePointer
    private let coordinateLength: Int

    private init(curve: Int32, coordinateLength: Int) {
        _ = OpenSSL.legacyProviderLoaded
        guard let group = EC_GROUP_new_by_curve_name(curve) else { preconditionFailure("OpenSSL lacks curve \(curve)") }
        self.group = group
        self.coordinateLength = coordinateLength
        fieldPrime = BN_new()
        let a = BN_new(), b = BN_new()
        defer { BN_free(a); BN_free(b) }
        precondition(EC_GROUP_get_curve(group, fieldPrime, a, b, nil) == 1, "EC_GROUP_get_curve failed")
        order = BN_dup(EC_GROUP_get0_order(group))
    }

    private static let p256 = ECPArithmetic(curve: NID_X9_62_prime256v1, coordinateLength: 32)
    private static let p384 = ECPArithmetic(curve: NID_secp384r1, coordinateLength: 48)

    static func group(_ group: DiffieHellmanGroup) -> ECPArithmetic {
        group == .ecp256 ? p256 : p384
    }

    private func scalar(_ secret: SecretBytes) throws(CryptoError) -> OpaquePointer {
        let d = secret.withUnsafeBytes {
            BN_bin2bn($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32($0.count), BN_secure_new())
        }!
        guard !BN_is_zero(d).isTrue, BN_cmp(d, order) < 0 else {
            BN_clear_free(d)
            throw .invalidPrivateKey
        }
        BN_set_flags(d, BN_FLG_CONSTTIME)
        return d
    }

    func publicValue(_ secret: SecretBytes) throws(CryptoError) -> [UInt8] {
        let d = try scalar(secret)
        defer { BN_clear_free(d) }
        let ctx = BN_CTX_new()
        let point = EC_POINT_new(group)
        defer { EC_POINT_free(point); BN_CTX_free(ctx) }
        guard EC_POINT_mul(group, point, d, nil, nil, ctx) == 1 else { throw .openSSL(OpenSSL.lastError()) }
        return try coordinates(point, ctx: ctx, both: true)
    }

    func sharedSecret(_ secret: SecretBytes, _ peer: [UInt8]) throws(CryptoError) -> SecretBytes {
        let ctx = BN_CTX_new()
        defer { BN_CTX_free(ctx) }
        let length = coordinateLength
        let x = peer.withUnsafeBytes {
            BN_bin2bn($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(length), nil)
        }!
        let y = peer.withUnsafeBytes {
            BN_bin2bn($0.baseAddress!.assumingMemoryBound(to: UInt8.self) + length, Int32(length), nil)
        }!
        let peerPoint = EC_POINT_new(group)
        defer { BN_free(x); BN_free(y); EC_POINT_free(peerPoint) }
        guard BN_cmp(x, fieldPrime) < 0, BN_cmp(y, fieldPrime) < 0,
            EC_POINT_set_affine_coordinates(group, peerPoint, x, y, ctx) == 1,
            EC_POINT_is_on_curve(group, peerPoint, ctx) == 1,
            EC_POINT_is_at_infinity(group, peerPoint) == 0
        else {
            ERR_clear_error()
            throw .invalidPublicValue
        }
        let d = try scalar(secret)
        let product = EC_POINT_new(group)
        defer { BN_clear_free(d); EC_POINT_clear_free(product) }
        guard EC_POINT_mul(group, product, nil, peerPoint, d, ctx) == 1,
            EC_POINT_is_at_infinity(group, product) == 0
        else { throw .invalidPublicValue }
        var xBytes = try coordinates(product, ctx: ctx, both: false)
        defer { wipe(&xBytes) }
        return SecretBytes(xBytes)
    }

    private func coordinates(_ point: OpaquePointer?, ctx: OpaquePointer?, both: Bool) throws(CryptoError) -> [UInt8] {
        let x = BN_new(), y = BN_new()
        defer { BN_clear_free(x); BN_clear_free(y) }
        guard EC_POINT_get_affine_coordinates(group, point, x, y, ctx) == 1 else { throw .openSSL(OpenSSL.lastError()) }
        let xBytes = MODPArithmetic.bytes(x!, length: coordinateLength)
        return both ? xBytes + MODPArithmetic.bytes(y!, length: coordinateLength) : xBytes
    }
}
