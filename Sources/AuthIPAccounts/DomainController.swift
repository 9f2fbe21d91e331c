import AuthIPCrypto
import AuthIPErrors

/// What the domain controller is asked to check (MS-NLMP 3.2.5.1.2, MS-APDS 3.1.5): the
/// user, the server challenge and the client's responses, as netlogon passes them on.
public struct NTLMValidationRequest: Hashable, Sendable {
    public var userName: String
    public var domainName: String
    public var workstation: String
    /// The CHALLENGE_MESSAGE's 8-byte ServerChallenge; it also identifies the exchange.
    public var serverChallenge: [UInt8]
    /// NTProofStr followed by the client's blob.
    public var ntResponse: [UInt8]
    public var lmResponse: [UInt8]

    public init(
        userName: String, domainName: String, workstation: String, serverChallenge: [UInt8], ntResponse: [UInt8],
        lmResponse: [UInt8]
    ) {
        self.userName = userName
        self.domainName = domainName
        self.workstation = workstation
        self.serverChallenge = serverChallenge
        self.ntResponse = ntResponse
        self.lmResponse = lmResponse
    }
}

/// The domain controller's answer.
public enum NTLMValidation: Sendable {
    /// The response is right: the SessionBaseKey (the user session key) and the account.
    case validated(sessionBaseKey: SecretBytes, account: Account)
    /// The DC refused the logon: the status SSPI reports (SEC_E_LOGON_DENIED for a wrong
    /// password, a disabled, locked out or expired account) and the DC's reason.
    case refused(WindowsError, String)
    /// No domain controller could be asked.
    case unavailable(String)
}

/// A domain controller's NTLM pass-through (netlogon through winbind, for one): the drivers
/// call it off the negotiation's thread.
public protocol NTLMDomainController: Sendable {
    func validate(_ request: NTLMValidationRequest, timeout: Duration) -> NTLMValidation
}
