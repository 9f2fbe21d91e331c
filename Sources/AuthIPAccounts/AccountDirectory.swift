/// Where an acceptor finds the accounts it authenticates: computer accounts (`NAME$`) and
/// users of a domain, as Active Directory keeps them. Look-ups are synchronous and compare
/// names case-insensitively, as AD does, so that the sans-IO engine can consult a directory
/// in the middle of an exchange. The embedded implementation is `JSONAccountDirectory`; an
/// LDAP/Active Directory one would answer from a cache it refreshes outside the engine (the
/// engine's remote look-ups being output requests and later inputs), behind this same protocol.
public protocol AccountDirectory: Sendable {
    /// The account `name` (a sAMAccountName such as `CLIENT1$` or `alice`) of `domain` (its
    /// NetBIOS or DNS name; empty for the directory's own domain), or nil when there is none.
    func account(named name: String, inDomain domain: String) -> Account?

    /// The directory's own domain by its NetBIOS and DNS names, when it knows them.
    var ownDomain: (netBIOS: String, dns: String?)? { get }
}

extension AccountDirectory {
    public var ownDomain: (netBIOS: String, dns: String?)? { nil }
}
