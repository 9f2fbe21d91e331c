/// A rule's second authentication, in Extended Mode: the methods, and the rules for
/// impersonation and explicit credentials (MS-AIPS 3.1.1 PAD settings).
public struct ExtendedModePolicy: Sendable {
    public var authentication: AuthenticationSet
    /// Initiator: Extended Mode runs as the logged-on user (GSS_IMPERSONATION_ACTIVE); the
    /// DirectAccess intranet tunnel does this.
    public var impersonate: Bool
    /// Initiator: its credentials were given explicitly rather than taken from a logon
    /// (GSS flag 0x08).
    public var credentialsAreExplicit: Bool
    /// Responder: whether explicit credentials are accepted ("Allow Explicit Credentials EM");
    /// when not, an Extended Mode that uses them fails.
    public var allowsExplicitCredentials: Bool

    public init(
        authentication: AuthenticationSet, impersonate: Bool = false, credentialsAreExplicit: Bool = false,
        allowsExplicitCredentials: Bool = false
    ) {
        self.authentication = authentication
        self.impersonate = impersonate
        self.credentialsAreExplicit = credentialsAreExplicit
        self.allowsExplicitCredentials = allowsExplicitCredentials
    }
}
