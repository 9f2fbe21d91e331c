import AuthIPAccounts
import AuthIPCrypto

/// What an NTLM initiator authenticates with: an account (a computer `NAME$` or a user) of a
/// domain, its NT hash, and the workstation name to report. The password itself is not kept.
public struct NTLMCredentials: Sendable {
    public var user: String
    public var domain: String
    public var workstation: String
    /// NTOWFv1 of the password, 16 bytes.
    public let ntHash: SecretBytes

    /// Credentials from a password; its NT hash is computed at once.
    public init(user: String, domain: String, password: String, workstation: String) {
        self.init(user: user, domain: domain, workstation: workstation, checkedHash: Account.ntHash(password: password))
    }

    /// Credentials from an NT hash; nil unless it is 16 bytes.
    public init?(user: String, domain: String, ntHash: SecretBytes, workstation: String) {
        guard ntHash.count == 16 else { return nil }
        self.init(user: user, domain: domain, workstation: workstation, checkedHash: ntHash)
    }

    private init(user: String, domain: String, workstation: String, checkedHash: SecretBytes) {
        self.user = user
        self.domain = domain
        self.workstation = workstation
        ntHash = checkedHash
    }
}
