import AuthIPCrypto

/// One account of a directory: what authentication and the engine's authorization need to
/// know about it.
public struct Account: Hashable, Sendable {
    /// A computer account (`NAME$`) or a user account.
    public enum Kind: String, Hashable, Sendable {
        /// A computer account; its sAMAccountName ends in `$`.
        case computer
        case user
    }

    /// The sAMAccountName, as the directory spells it (`CLIENT1$`, `alice`).
    public var samAccountName: String
    /// The NetBIOS name of the account's domain (`CORP`).
    public var domain: String
    public var kind: Kind
    /// False for a disabled account (userAccountControl ACCOUNTDISABLE).
    public var isEnabled: Bool
    /// NTOWFv1 of the password (unicodePwd), 16 bytes.
    public var ntHash: SecretBytes
    /// The names of the groups the account is a member of.
    public var groups: [String]
    public var policy: AuthenticationPolicy

    public init(
        samAccountName: String, domain: String, kind: Kind, isEnabled: Bool, ntHash: SecretBytes,
        groups: [String] = [], policy: AuthenticationPolicy = AuthenticationPolicy()
    ) {
        self.samAccountName = samAccountName
        self.domain = domain
        self.kind = kind
        self.isEnabled = isEnabled
        self.ntHash = ntHash
        self.groups = groups
        self.policy = policy
    }

    /// NTOWFv1 = MD4(UNICODE(Passwd)) (MS-NLMP 3.3.1): the NT hash a directory keeps.
    public static func ntHash(password: String) -> SecretBytes {
        SecretBytes(LegacyDigest.md4(WindowsText.utf16LittleEndian(password)))
    }

    /// `DOMAIN\NAME`, the form Windows reports NTLM identities in (the Security log's
    /// "DOMAIN\NAME$" of a computer) and so our NTLM acceptor's peer name.
    public var qualifiedName: String { "\(domain)\\\(samAccountName)" }

    /// Whether the account is a member of `group`, compared case-insensitively.
    public func isMember(of group: String) -> Bool {
        let wanted = WindowsText.uppercased(group)
        return groups.contains { WindowsText.uppercased($0) == wanted }
    }
}

/// The authentication restrictions an account carries (userAccountControl bits, membership of
/// Protected Users or an authentication policy).
public struct AuthenticationPolicy: Hashable, Sendable {
    /// SMARTCARD_REQUIRED: interactive logon needs a smart card. It does not stop NTLM (Windows
    /// keeps a random NT hash for such accounts); the engine uses it for smart-card
    /// authorization.
    public var smartCardRequired: Bool
    /// NTLM is refused for the account (Protected Users, or an authentication policy that
    /// denies NTLM); our NTLM acceptor enforces it.
    public var denyNTLM: Bool

    public init(smartCardRequired: Bool = false, denyNTLM: Bool = false) {
        self.smartCardRequired = smartCardRequired
        self.denyNTLM = denyNTLM
    }
}
