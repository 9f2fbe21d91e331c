/// An account an endpoint asks its driver to look up in a remote directory (Active Directory
/// over LDAP): a sAMAccountName (`CLIENT1$`, `alice`) or a userPrincipalName (`alice@da.test`).
public struct AccountQuery: Hashable, Sendable, CustomStringConvertible {
    public var name: String

    public init(name: String) { self.name = name }

    /// Directory names compare without regard to case, as Active Directory compares them.
    public var key: String { name.uppercased() }

    public var description: String { name }
}

/// What a remote directory answered.
public enum AccountLookup: Hashable, Sendable {
    case found(Account)
    /// The directory answered: there is no such account.
    case notFound
    /// No directory could be asked (unreachable, refused the bind, timed out).
    case unavailable(String)
}

/// A directory a driver asks on the endpoint's behalf (`EndpointOutput.lookUpAccount`). Calls
/// block on the network, so drivers make them off the negotiation's thread.
public protocol RemoteAccountDirectory: Sendable {
    /// The account named by `query`, answered within `timeout`.
    func lookUp(_ query: AccountQuery, timeout: Duration) -> AccountLookup
}
