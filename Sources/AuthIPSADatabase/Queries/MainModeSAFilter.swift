import AuthIPWire

/// Which identities of a Main Mode SA an identity pattern is tried against.
public enum IdentityScope: Hashable, Sendable {
    /// The Main Mode identities (PowerShell's `LocalFirstId` / `RemoteFirstId`).
    case first
    /// The Extended Mode identities (`LocalSecondId` / `RemoteSecondId`).
    case second
    /// Either: a record matches when one of them does.
    case either
}

/// Which Main Mode SAs a query or removal selects: those matching every condition set.
/// An empty filter selects all. The counterpart of
/// `Get-NetIPsecMainModeSA | where {$_.RemoteFirstId.Identity -like "*client1*"}` is
/// `MainModeSAFilter(remoteIdentity: WildcardPattern("*client1*"), identityScope: .first)`.
public struct MainModeSAFilter: Hashable, Sendable {
    public var localAddress: AddressRange?
    public var remoteAddress: AddressRange?
    public var localIdentity: WildcardPattern?
    public var remoteIdentity: WildcardPattern?
    public var identityScope: IdentityScope
    /// The Main Mode (first) authentication method.
    public var authenticationMethod: AuthMethod?
    /// The Extended Mode (second) authentication method.
    public var secondAuthenticationMethod: AuthMethod?
    public var role: SARole?
    public var ruleName: WildcardPattern?

    public init(
        localAddress: AddressRange? = nil, remoteAddress: AddressRange? = nil,
        localIdentity: WildcardPattern? = nil, remoteIdentity: WildcardPattern? = nil,
        identityScope: IdentityScope = .either, authenticationMethod: AuthMethod? = nil,
        secondAuthenticationMethod: AuthMethod? = nil, role: SARole? = nil, ruleName: WildcardPattern? = nil
    ) {
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.localIdentity = localIdentity
        self.remoteIdentity = remoteIdentity
        self.identityScope = identityScope
        self.authenticationMethod = authenticationMethod
        self.secondAuthenticationMethod = secondAuthenticationMethod
        self.role = role
        self.ruleName = ruleName
    }

    public func matches(_ record: MainModeSARecord) -> Bool {
        if let role, record.role != role { return false }
        if let authenticationMethod, record.authenticationMethod != authenticationMethod { return false }
        if let secondAuthenticationMethod, record.secondAuthenticationMethod != secondAuthenticationMethod {
            return false
        }
        if let localAddress, !localAddress.contains(record.local.ip) { return false }
        if let remoteAddress, !remoteAddress.contains(record.remote.ip) { return false }
        if let localIdentity, !matches(localIdentity, record.localIdentity, record.localSecondIdentity) { return false }
        if let remoteIdentity, !matches(remoteIdentity, record.remoteIdentity, record.remoteSecondIdentity) {
            return false
        }
        if let ruleName, !ruleName.matches(record.ruleName) { return false }
        return true
    }

    private func matches(_ pattern: WildcardPattern, _ first: String?, _ second: String?) -> Bool {
        let firstMatches = identityScope != .second && first.map(pattern.matches) == true
        return firstMatches || (identityScope != .first && second.map(pattern.matches) == true)
    }
}
