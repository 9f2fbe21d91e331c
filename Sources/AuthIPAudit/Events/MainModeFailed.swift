/// 4653: a main mode negotiation failed.
public struct MainModeFailed: Hashable, Sendable {
    public var local: NegotiationPeer
    public var remote: NegotiationPeer
    public var keyingModule: KeyingModule
    public var failure: NegotiationFailure
    /// The method being negotiated; `.unknown` before one was agreed.
    public var authenticationMethod: AuthenticationMethod
    public var state: MainModeState
    public var role: NegotiationRole
    public var impersonation: ImpersonationState
    /// The WFP filter of the main mode policy that matched.
    public var filterID: UInt64
    public var initiatorCookie: UInt64
    /// Zero when the peer never answered.
    public var responderCookie: UInt64

    public init(
        local: NegotiationPeer, remote: NegotiationPeer, keyingModule: KeyingModule, failure: NegotiationFailure,
        authenticationMethod: AuthenticationMethod, state: MainModeState, role: NegotiationRole,
        impersonation: ImpersonationState, filterID: UInt64, initiatorCookie: UInt64, responderCookie: UInt64
    ) {
        self.local = local
        self.remote = remote
        self.keyingModule = keyingModule
        self.failure = failure
        self.authenticationMethod = authenticationMethod
        self.state = state
        self.role = role
        self.impersonation = impersonation
        self.filterID = filterID
        self.initiatorCookie = initiatorCookie
        self.responderCookie = responderCookie
    }

    /// MMAuthMethod, State, Role, MMImpersonationState, MMFilterID, InitiatorCookie,
    /// ResponderCookie.
    var trailingValues: [AuditValue] {
        [
            .parameter(authenticationMethod), .parameter(state), .parameter(role), .parameter(impersonation),
            .uint64(filterID), .cookie(initiatorCookie), .cookie(responderCookie),
        ]
    }

    var auditValues: [AuditValue] {
        [.optionalText(local.principalName), .optionalText(remote.principalName)]
            + NegotiationPeer.addressValues(local: local, remote: remote)
            + [.parameter(keyingModule)] + failure.auditValues + trailingValues
    }
}

/// 4652: a main mode negotiation that used certificates failed.
public struct MainModeFailedWithCertificates: Hashable, Sendable {
    public var negotiation: MainModeFailed
    public var localCertificate: CertificateSummary?
    public var remoteCertificate: CertificateSummary?

    public init(
        negotiation: MainModeFailed, localCertificate: CertificateSummary?, remoteCertificate: CertificateSummary?
    ) {
        self.negotiation = negotiation
        self.localCertificate = localCertificate
        self.remoteCertificate = remoteCertificate
    }

    var auditValues: [AuditValue] {
        [.optionalText(negotiation.local.principalName)] + localCertificate.auditValues
            + [.optionalText(negotiation.remote.principalName)] + remoteCertificate.auditValues
            + NegotiationPeer.addressValues(local: negotiation.local, remote: negotiation.remote)
            + [.parameter(negotiation.keyingModule)]
            + negotiation.failure.auditValues + negotiation.trailingValues
    }
}
