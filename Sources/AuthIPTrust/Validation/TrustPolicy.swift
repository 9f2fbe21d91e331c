/// What a chain is judged against: the trusted roots (from configuration only), the
/// revocation mode, and the extra policies the leaf must meet.
public struct TrustPolicy: Sendable {
    public var trustedRoots: [Certificate]
    public var revocation: RevocationMode
    public var policies: [any CertificatePolicy]

    public init(
        trustedRoots: [Certificate], revocation: RevocationMode,
        policies: [any CertificatePolicy] = [DigitalSignatureKeyUsagePolicy()]
    ) {
        self.trustedRoots = trustedRoots
        self.revocation = revocation
        self.policies = policies
    }

    /// How a DirectAccess server judges a client's computer certificate: weak revocation
    /// checking by default, client authentication usage.
    public static func directAccessServer(roots: [Certificate], revocation: RevocationMode = .weak) -> TrustPolicy {
        TrustPolicy(
            trustedRoots: roots, revocation: revocation,
            policies: [DigitalSignatureKeyUsagePolicy(), ExtendedKeyUsagePolicy.initiator])
    }

    /// How a DirectAccess client judges the server's certificate: no revocation checking by
    /// default, server authentication usage.
    public static func directAccessClient(roots: [Certificate], revocation: RevocationMode = .none) -> TrustPolicy {
        TrustPolicy(
            trustedRoots: roots, revocation: revocation,
            policies: [DigitalSignatureKeyUsagePolicy(), ExtendedKeyUsagePolicy.responder])
    }
}
