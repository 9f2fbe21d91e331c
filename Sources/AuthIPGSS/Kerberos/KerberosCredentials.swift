/// Where a Kerberos context's credentials come from.
public enum KerberosCredentials: Sendable, Hashable {
    /// An initiator's tickets in a credentials cache (`FILE:/path`, `KEYRING:...`; nil = the default).
    case cache(String?)
    /// An initiator that logs on itself: the library does the AS exchange with this password.
    case password(principal: String, password: String)
    /// An acceptor's keys, from a keytab file (`FILE:/path` or a path).
    case keytab(String)
}
