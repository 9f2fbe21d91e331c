import AuthIPTrust

/// What one side of certificate authentication needs: its computer certificates (the one to
/// present is chosen by the CAs the peer accepts), the trust policy for the peer's chain (roots,
/// revocation mode, usage), and the local CRL cache.
public struct TLSConfiguration: Sendable {
    public var identities: [TLSIdentity]
    public var trust: TrustPolicy
    public var crlCache: CRLCache
    /// The TLS versions this side negotiates: TLS 1.2 only by default. Windows 7 and Server
    /// 2008 R2 have TLS 1.1 and 1.2 off in Schannel unless an administrator turns them on; to
    /// serve such clients unchanged, allow `.tls10...tls12`, at a cost: TLS 1.0 and 1.1 sign
    /// the handshake with MD5 and SHA-1 and cannot use AEAD suites (Docs/InteropProfile.md).
    public var versions: ClosedRange<TLSVersion>

    public init(
        identities: [TLSIdentity], trust: TrustPolicy, crlCache: CRLCache = CRLCache(),
        versions: ClosedRange<TLSVersion> = .tls12 ... .tls12
    ) {
        self.identities = identities
        self.trust = trust
        self.crlCache = crlCache
        self.versions = versions
    }
}

/// A TLS protocol version certificate authentication may run.
public enum TLSVersion: Int32, Comparable, Sendable, CaseIterable {
    case tls10 = 0x0301
    case tls11 = 0x0302
    case tls12 = 0x0303

    public static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.rawValue < b.rawValue }

    /// "1.0", "1.1", "1.2".
    public var name: String {
        switch self {
        case .tls10: return "1.0"
        case .tls11: return "1.1"
        case .tls12: return "1.2"
        }
    }

    public init?(name: String) {
        guard let version = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = version
    }
}
