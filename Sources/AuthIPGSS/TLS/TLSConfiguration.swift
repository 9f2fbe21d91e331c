import AuthIPTrust

/// What one side of certificate authentication needs: its computer certificates (the one to
/// present is chosen by the CAs the peer accepts), the trust policy for the peer's chain (roots,
/// revocation mode, usage), and the local CRL cache.
public struct TLSConfiguration: Sendable {
    public var identities: [TLSIdentity]
    public var trust: TrustPolicy
    public var crlCache: CRLCache

    public init(identities: [TLSIdentity], trust: TrustPolicy, crlCache: CRLCache = CRLCache()) {
        self.identities = identities
        self.trust = trust
        self.crlCache = crlCache
    }
}
