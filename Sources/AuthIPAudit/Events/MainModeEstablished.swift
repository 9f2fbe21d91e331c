/// 4650: a main mode SA was established without certificates and without extended mode.
public struct MainModeEstablished: Hashable, Sendable {
    public var sa: MainModeSA
    public var keyingModule: KeyingModule
    public var authenticationMethod: AuthenticationMethod

    public init(sa: MainModeSA, keyingModule: KeyingModule, authenticationMethod: AuthenticationMethod) {
        self.sa = sa
        self.keyingModule = keyingModule
        self.authenticationMethod = authenticationMethod
    }

    var auditValues: [AuditValue] {
        sa.endpointValues + [.parameter(keyingModule), .parameter(authenticationMethod)] + sa.suiteAndIdentityValues
    }
}

/// 4651: a main mode SA was established with certificate authentication and without
/// extended mode.
public struct MainModeEstablishedWithCertificates: Hashable, Sendable {
    public var negotiation: MainModeEstablished
    public var localCertificate: CertificateSummary?
    public var remoteCertificate: CertificateSummary?

    public init(
        negotiation: MainModeEstablished, localCertificate: CertificateSummary?, remoteCertificate: CertificateSummary?
    ) {
        self.negotiation = negotiation
        self.localCertificate = localCertificate
        self.remoteCertificate = remoteCertificate
    }

    var auditValues: [AuditValue] {
        let sa = negotiation.sa
        return [.optionalText(sa.local.principalName)] + localCertificate.auditValues
            + [.optionalText(sa.remote.principalName)] + remoteCertificate.auditValues
            + NegotiationPeer.addressValues(local: sa.local, remote: sa.remote)
            + [.parameter(negotiation.keyingModule), .parameter(negotiation.authenticationMethod)]
            + sa.suiteAndIdentityValues
    }
}
