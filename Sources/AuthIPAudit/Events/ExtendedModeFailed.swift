/// 4984: an extended mode negotiation failed (and its main mode SA was deleted). This is the
/// event of DirectAccess authorization failures: NAP health (13905) and smart-card strong
/// credentials (13906).
public struct ExtendedModeFailed: Hashable, Sendable {
    /// The local end, with the extended mode principal name.
    public var local: NegotiationPeer
    /// The remote end, with the extended mode principal name.
    public var remote: NegotiationPeer
    public var failure: NegotiationFailure
    public var authenticationMethod: AuthenticationMethod
    public var state: ExtendedModeState
    public var role: NegotiationRole
    public var impersonation: ImpersonationState
    /// The WFP filter of the quick mode policy that started the negotiation.
    public var quickModeFilterID: UInt64

    public init(
        local: NegotiationPeer, remote: NegotiationPeer, failure: NegotiationFailure,
        authenticationMethod: AuthenticationMethod, state: ExtendedModeState, role: NegotiationRole,
        impersonation: ImpersonationState, quickModeFilterID: UInt64
    ) {
        self.local = local
        self.remote = remote
        self.failure = failure
        self.authenticationMethod = authenticationMethod
        self.state = state
        self.role = role
        self.impersonation = impersonation
        self.quickModeFilterID = quickModeFilterID
    }

    var auditValues: [AuditValue] {
        [.optionalText(local.principalName), .optionalText(remote.principalName)]
            + NegotiationPeer.addressValues(local: local, remote: remote) + failure.auditValues
            + [
                .parameter(authenticationMethod), .parameter(state), .parameter(role), .parameter(impersonation),
                .uint64(quickModeFilterID),
            ]
    }
}

/// 4983: an extended mode negotiation that used certificates failed (and its main mode SA
/// was deleted). The method is not a field: Windows' message text says "SSL".
public struct ExtendedModeFailedWithCertificates: Hashable, Sendable {
    /// The local end, with the extended mode principal name.
    public var local: NegotiationPeer
    public var localCertificate: CertificateSummary?
    /// The remote end, with the extended mode principal name.
    public var remote: NegotiationPeer
    public var remoteCertificate: CertificateSummary?
    public var failure: NegotiationFailure
    public var state: ExtendedModeState
    public var role: NegotiationRole
    public var impersonation: ImpersonationState
    /// The WFP filter of the quick mode policy that started the negotiation.
    public var quickModeFilterID: UInt64

    public init(
        local: NegotiationPeer, localCertificate: CertificateSummary?, remote: NegotiationPeer,
        remoteCertificate: CertificateSummary?, failure: NegotiationFailure, state: ExtendedModeState,
        role: NegotiationRole, impersonation: ImpersonationState, quickModeFilterID: UInt64
    ) {
        self.local = local
        self.localCertificate = localCertificate
        self.remote = remote
        self.remoteCertificate = remoteCertificate
        self.failure = failure
        self.state = state
        self.role = role
        self.impersonation = impersonation
        self.quickModeFilterID = quickModeFilterID
    }

    var auditValues: [AuditValue] {
        [.optionalText(local.principalName)] + localCertificate.auditValues
            + [.optionalText(remote.principalName)] + remoteCertificate.auditValues
            + NegotiationPeer.addressValues(local: local, remote: remote) + failure.auditValues
            + [.parameter(state), .parameter(role), .parameter(impersonation), .uint64(quickModeFilterID)]
    }
}
