/// An account an endpoint asks its driver to look up in a remote directory (Active Directory
/// over LDAP): a sAMAccountName (`CLIENT1$`, `alice`) or a userPrincipalName (`alice@da.test`),
/// with the domain the authentication named (a NetBIOS name or a Kerberos realm; nil when the
/// credential names none, as a certificate). A directory answers only for its own domain.
public struct AccountQuery: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var domain: String?

    public init(name: String, domain: String? = nil) {
        self.name = name
        self.domain = domain
    }

    /// Directory names compare without regard to case, as Active Directory compares them.
    public var key: String { ((domain.map { $0 + "\\" } ?? "") + name).uppercased() }

    public var description: String { domain.map { "\($0)\\\(name)" } ?? name }
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
