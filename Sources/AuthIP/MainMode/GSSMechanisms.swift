import AuthIPGSS
import AuthIPWire

extension AuthenticationProposal {
    /// A GSS context for the initiator side, for a responder announcing `target` in GSS_ID.
    func initiatorContext(target: String?) throws(GSSFailure) -> any GSSContext {
        switch self {
        case .certificate(let configuration):
            return try TLSContext(role: .initiator, configuration: configuration)
        case .kerberos(let credentials?, _):
            guard let target, !target.isEmpty else { throw GSSFailure(.secETargetUnknown, "the responder sent no SPN") }
            return try KerberosContext(initiator: credentials, target: target)
        case .ntlm(let credentials?, _):
            return NTLMInitiatorContext(credentials: credentials)
        case .anonymous:
            return AnonymousContext(role: .initiator)
        default:
            throw GSSFailure(.secENoCredentials, "no \(method) credentials to initiate with")
        }
    }

    /// A GSS context for the acceptor side.
    func acceptorContext() throws(GSSFailure) -> any GSSContext {
        switch self {
        case .certificate(let configuration):
            return try TLSContext(role: .acceptor, configuration: configuration)
        case .kerberos(_, let credentials?):
            return try KerberosContext(acceptor: credentials)
        case .ntlm(_, let setup?):
            return NTLMAcceptorContext(configuration: setup.configuration, verifier: setup.verifier)
        case .anonymous:
            return AnonymousContext(role: .acceptor)
        default:
            throw GSSFailure(.secENoCredentials, "no \(method) credentials to accept with")
        }
    }

    /// Whether this side can run the method in `role`.
    func canRun(as role: GSSRole) -> Bool {
        switch (self, role) {
        case (.certificate, _), (.anonymous, _): return true
        case (.kerberos(let initiator, _), .initiator): return initiator != nil
        case (.kerberos(_, let acceptor), .acceptor): return acceptor != nil
        case (.ntlm(let initiator, _), .initiator): return initiator != nil
        case (.ntlm(_, let acceptor), .acceptor): return acceptor != nil
        }
    }

    /// The identity this side proves with the method, as the SA tables and events show it.
    func localIdentity(role: GSSRole, principalName: String) -> String? {
        switch self {
        case .certificate(let configuration): return configuration.identities.first?.certificate.subject
        case .kerberos(let initiator, _):
            if role == .acceptor { return principalName }
            if case .password(let principal, _)? = initiator { return principal }
            return nil
        case .ntlm(let credentials, _):
            guard role == .initiator, let credentials else { return nil }
            return "\(credentials.domain)\\\(credentials.user)"
        case .anonymous: return nil
        }
    }
}
