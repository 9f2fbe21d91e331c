import AuthIPErrors

/// Which DirectAccess tunnel a lab run builds.
public enum Tunnel: String, CaseIterable, Sendable {
    case infrastructure, intranet
}

/// What goes wrong in a lab run, and what Windows would log for it.
public enum Fault: String, CaseIterable, Sendable {
    case none
    /// The server never answers.
    case silentResponder = "silent-responder"
    /// The clients' certificates are on the server's cached CRL.
    case revokedCertificate = "revoked-cert"
    /// Strong revocation checking with the distribution point unreachable.
    case cdpOffline = "cdp-offline"
    case disabledComputer = "disabled-computer"
    case disabledUser = "disabled-user"
    case wrongPassword = "wrong-password"
    /// The clients are on the server's block list.
    case blocked
    /// NAP full enforcement and no health certificates.
    case noHealthCertificate = "no-health-cert"
    /// Smart-card authorization and password-based tickets.
    case noSmartCard = "no-smartcard"
    /// No Main Mode proposal in common.
    case noProposal = "no-proposal"

    /// What each client should end with: established, or this event at the client with this
    /// failure code.
    public enum Outcome: Equatable, Sendable {
        case established
        case failed(event: UInt16, code: WindowsError)
    }

    public func expectedOutcome(_ tunnel: Tunnel) -> Outcome {
        switch self {
        case .none: return .established
        case .silentResponder: return .failed(event: 4653, code: .errorIpsecIkeTimedOut)
        case .revokedCertificate: return .failed(event: 4652, code: .cryptERevoked)
        case .cdpOffline: return .failed(event: 4652, code: .cryptERevocationOffline)
        case .disabledComputer, .blocked: return .failed(event: 4652, code: .errorIpsecIkeAuthorizationFailure)
        // NAP guards the intranet; the infrastructure tunnel stays open for remediation.
        case .noHealthCertificate:
            return tunnel == .intranet ? .failed(event: 4652, code: .errorIpsecIkeAuthorizationFailure) : .established
        case .disabledUser: return tunnel == .intranet ? .failed(event: 4984, code: .secELogonDenied) : .established
        case .wrongPassword: return .failed(event: 4984, code: .secELogonDenied)
        case .noSmartCard:
            return tunnel == .intranet
                ? .failed(event: 4984, code: .errorIpsecIkeStrongCredAuthorizationFailure) : .established
        case .noProposal: return .failed(event: 4653, code: .errorIpsecIkeAttribFail)
        }
    }
}
