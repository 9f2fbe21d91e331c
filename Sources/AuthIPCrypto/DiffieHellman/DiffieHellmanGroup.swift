/// The DH groups AuthIP negotiates, by IKE group number.
public enum DiffieHellmanGroup: UInt16, Hashable, Sendable, CaseIterable {
    /// The 1024-bit MODP group of RFC 2409 §6.2.
    case modp1024 = 2
    /// The 2048-bit MODP group of RFC 3526 §3 (Windows "DH group 2048").
    case modp2048 = 14
    /// NIST P-256 (RFC 5903).
    case ecp256 = 19
    /// NIST P-384 (RFC 5903).
    case ecp384 = 20

    /// The length of a KE payload's public value, and of the shared secret for MODP groups.
    public var publicValueLength: Int {
        switch self {
        case .modp1024: return 128
        case .modp2048: return 256
        case .ecp256: return 64
        case .ecp384: return 96
        }
    }

    /// The length of the shared secret g^xy (the x coordinate alone for ECP, RFC 5903 §7).
    public var sharedSecretLength: Int {
        switch self {
        case .modp1024, .modp2048: return publicValueLength
        case .ecp256: return 32
        case .ecp384: return 48
        }
    }

    /// The length of a private value this library draws: 256-bit exponents for the MODP
    /// groups (twice their strength and more), a scalar of the curve order's size for ECP.
    public var privateValueLength: Int {
        switch self {
        case .modp1024, .modp2048, .ecp256: return 32
        case .ecp384: return 48
        }
    }
}

/// One side's ephemeral DH key pair. Public values are checked as RFC 6989 asks, without
/// OpenSSL's slow full validation: 1 < y < p-1 for the MODP (safe-prime) groups, and for the
/// ECP groups (cofactor 1) coordinates below p and a point on the curve.
public struct DiffieHellmanKeyPair: Sendable {
    public let group: DiffieHellmanGroup
    public let publicValue: [UInt8]
    private let privateValue: SecretBytes

    /// A fresh key pair drawn from `random`.
    public init(group: DiffieHellmanGroup, random: inout some RandomSource) throws(CryptoError) {
        // ECP scalars out of [1, n-1] are redrawn; the chance is below 2^-32.
        for _ in 0..<8 {
            let candidate = random.secret(group.privateValueLength)
            if let pair = try? DiffieHellmanKeyPair(group: group, privateValue: candidate) {
                self = pair
                return
            }
        }
        throw .invalidPrivateKey
    }

    /// The key pair of a known private value (big-endian), for test vectors.
    public init(group: DiffieHellmanGroup, privateValue: SecretBytes) throws(CryptoError) {
        self.group = group
        self.privateValue = privateValue
        switch group {
        case .modp1024, .modp2048: publicValue = try MODPArithmetic.group(group).publicValue(privateValue)
        case .ecp256, .ecp384: publicValue = try ECPArithmetic.group(group).publicValue(privateValue)
        }
    }

    /// g^xy for the peer's public value, after the RFC 6989 checks.
    public func sharedSecret(peerPublicValue: [UInt8]) throws(CryptoError) -> SecretBytes {
        guard peerPublicValue.count == group.publicValueLength else { throw .invalidPublicValue }
        switch group {
        case .modp1024, .modp2048:
            return try MODPArithmetic.group(group).sharedSecret(privateValue, peerPublicValue)
        case .ecp256, .ecp384:
            return try ECPArithmetic.group(group).sharedSecret(privateValue, peerPublicValue)
        }
    }
}
