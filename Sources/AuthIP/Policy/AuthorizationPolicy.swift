/// What a responder requires of a peer beyond authentication, checked once each
/// authentication completes (MS-AIPS 3.1.1; the DirectAccess server's authorization).
public struct AuthorizationPolicy: Sendable, Hashable {
    /// The computer account (from the Main Mode certificate or NTLM) must be in this group.
    public var requiredComputerGroup: String?
    /// The user (from Extended Mode) must be in this group.
    public var requiredUserGroup: String?
    /// NAP full enforcement: the Main Mode certificate must be a health certificate (13905).
    public var requiresHealthCertificate: Bool
    /// Smart-card authorization: the Extended Mode Kerberos credential must carry the `pkinit`
    /// authentication indicator (13906). Accounts whose directory entry requires a smart card
    /// are held to it whatever this says.
    public var requiresSmartCard: Bool

    public init(
        requiredComputerGroup: String? = nil, requiredUserGroup: String? = nil, requiresHealthCertificate: Bool = false,
        requiresSmartCard: Bool = false
    ) {
        self.requiredComputerGroup = requiredComputerGroup
        self.requiredUserGroup = requiredUserGroup
        self.requiresHealthCertificate = requiresHealthCertificate
        self.requiresSmartCard = requiresSmartCard
    }

    /// Nothing beyond authentication.
    public static let none = AuthorizationPolicy()
}
