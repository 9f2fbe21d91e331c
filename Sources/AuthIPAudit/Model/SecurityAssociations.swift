/// An established main mode SA, as the "established" events (4650, 4651, 4979–4982)
/// describe it.
public struct MainModeSA: Hashable, Sendable {
    public var local: NegotiationPeer
    public var remote: NegotiationPeer
    public var suite: MainModeSuite
    public var role: NegotiationRole
    public var impersonation: ImpersonationState
    /// The WFP filter of the main mode policy that matched.
    public var filterID: UInt64
    /// The SA's identifier, shared with the event that reports its end (4655).
    public var saID: UInt64

    public init(
        local: NegotiationPeer, remote: NegotiationPeer, suite: MainModeSuite, role: NegotiationRole,
        impersonation: ImpersonationState, filterID: UInt64, saID: UInt64
    ) {
        self.local = local
        self.remote = remote
        self.suite = suite
        self.role = role
        self.impersonation = impersonation
        self.filterID = filterID
        self.saID = saID
    }

    /// LocalMMPrincipalName, RemoteMMPrincipalName, LocalAddress, LocalKeyModPort,
    /// RemoteAddress, RemoteKeyModPort.
    var endpointValues: [AuditValue] {
        [.optionalText(local.principalName), .optionalText(remote.principalName)]
            + NegotiationPeer.addressValues(local: local, remote: remote)
    }

    /// The suite (5 fields), Role, MMImpersonationState, MMFilterID, MMSAID.
    var suiteAndIdentityValues: [AuditValue] {
        suite.auditValues + [.parameter(role), .parameter(impersonation), .uint64(filterID), .uint64(saID)]
    }
}

/// An established extended mode, as 4979–4982 describe it.
public struct ExtendedModeSA: Hashable, Sendable {
    /// The local user or computer authenticated in extended mode, or nil (`-`).
    public var localPrincipalName: String?
    /// The peer authenticated in extended mode, or nil (`-`).
    public var remotePrincipalName: String?
    public var impersonation: ImpersonationState
    /// The WFP filter of the quick mode policy that started the negotiation.
    public var quickModeFilterID: UInt64

    public init(
        localPrincipalName: String?, remotePrincipalName: String?, impersonation: ImpersonationState,
        quickModeFilterID: UInt64
    ) {
        self.localPrincipalName = localPrincipalName
        self.remotePrincipalName = remotePrincipalName
        self.impersonation = impersonation
        self.quickModeFilterID = quickModeFilterID
    }
}
