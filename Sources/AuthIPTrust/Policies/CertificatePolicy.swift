import AuthIPErrors

/// A rule a validated chain (leaf first, root last) must also meet; policies compose as a
/// list, each answering with the failure it finds or nil.
public protocol CertificatePolicy: Sendable {
    func evaluate(_ chain: [Certificate]) -> TrustFailure?
}

/// Well-known extended key usage OIDs.
public enum ExtendedKeyUsage {
    public static let serverAuthentication = "1.3.6.1.5.5.7.3.1"
    public static let clientAuthentication = "1.3.6.1.5.5.7.3.2"
    /// id-kp-ipsecIKE (RFC 4945): accepted for any IKE role.
    public static let ipsecIKE = "1.3.6.1.5.5.7.3.17"
    /// The IKE intermediate usage Windows issues for IPsec (1.3.6.1.5.5.8.2.2).
    public static let ikeIntermediate = "1.3.6.1.5.5.8.2.2"
    public static let any = "2.5.29.37.0"
    /// The NAP system health authentication usage of health certificates.
    public static let systemHealth = "1.3.6.1.4.1.311.47.1.1"
}

/// The leaf's extended key usage must allow the role: `required` usages, or one of the
/// usages accepted for every role. A leaf without the extension may be used for anything.
public struct ExtendedKeyUsagePolicy: CertificatePolicy {
    public var required: Set<String>
    public var acceptedForAnyRole: Set<String>

    public init(
        required: Set<String>,
        acceptedForAnyRole: Set<String> = [
            ExtendedKeyUsage.ikeIntermediate, ExtendedKeyUsage.ipsecIKE, ExtendedKeyUsage.any,
        ]
    ) {
        self.required = required
        self.acceptedForAnyRole = acceptedForAnyRole
    }

    /// The initiator's computer certificate: client authentication.
    public static let initiator = ExtendedKeyUsagePolicy(required: [ExtendedKeyUsage.clientAuthentication])
    /// The responder's (server's) computer certificate: server authentication.
    public static let responder = ExtendedKeyUsagePolicy(required: [ExtendedKeyUsage.serverAuthentication])

    public func evaluate(_ chain: [Certificate]) -> TrustFailure? {
        guard let leaf = chain.first, let usages = leaf.extendedKeyUsages else { return nil }
        let allowed = required.union(acceptedForAnyRole)
        if usages.contains(where: allowed.contains) { return nil }
        return TrustFailure(
            .certEWrongUsage, depth: 0, detail: "extended key usage \(usages) lacks \(required.sorted())")
    }
}

/// The leaf's key usage, when present, must allow signatures (what the TLS handshake does
/// with it).
public struct DigitalSignatureKeyUsagePolicy: CertificatePolicy {
    /// KU_DIGITAL_SIGNATURE of OpenSSL.
    static let digitalSignature: UInt32 = 0x0080

    public init() {}

    public func evaluate(_ chain: [Certificate]) -> TrustFailure? {
        guard let usage = chain.first?.keyUsage, usage & Self.digitalSignature == 0 else { return nil }
        return TrustFailure(.certEWrongUsage, depth: 0, detail: "key usage lacks digitalSignature")
    }
}

/// The leaf must be a NAP health certificate: the authorization layer's check for NAP
/// enforcement (a missing one is ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE, 13905, there).
public struct HealthCertificatePolicy: CertificatePolicy {
    public init() {}

    public func evaluate(_ chain: [Certificate]) -> TrustFailure? {
        guard let leaf = chain.first, !leaf.isHealthCertificate else { return nil }
        return TrustFailure(.certEWrongUsage, depth: 0, detail: "not a health certificate")
    }
}

extension Certificate {
    /// Whether the certificate carries the NAP system health usage.
    public var isHealthCertificate: Bool {
        extendedKeyUsages?.contains(ExtendedKeyUsage.systemHealth) ?? false
    }
}
