import AuthIPAccounts
import AuthIPCrypto
import AuthIPErrors

/// Who checks an NTLMv2 response: the acceptor itself, with the account's NT hash from a
/// directory, or the domain controller, which holds the secrets (the acceptor then asks for
/// the check with `NTLMAcceptorContext.pendingValidation` and goes on with `resume`).
public enum NTLMVerifier: Sendable {
    case directory(any AccountDirectory)
    case domainController
}
