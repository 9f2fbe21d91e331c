/// How revocation is checked (seed 004, "IPsec and certificate revocation checking").
public enum RevocationMode: String, Sendable, CaseIterable {
    /// No revocation checking (the DirectAccess client's default).
    case none
    /// Only CRLs already in the local cache count; the path fails only when an applicable CRL
    /// lists one of its certificates as revoked. A missing, out-of-scope or stale CRL is no
    /// reason to fail (the DirectAccess server's default).
    case weak
    /// Every certificate of the path must be covered by a current, correctly signed,
    /// applicable CRL from the cache or from its CRL distribution points; an unreachable
    /// distribution point fails the path.
    case strong
}
