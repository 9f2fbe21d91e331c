import AuthIPAccounts
import AuthIPGSS
import AuthIPTrust
import AuthIPWire

/// The ordered authentication methods of a rule (a Windows "auth set"). The initiator offers
/// them in this order; a responder accepts those of the peer's it also has. A method may
/// appear more than once with different credentials: after a failure the initiator retries
/// the same method with the next credentials (RETRY_CURRENT_AUTHENTICATION).
public struct AuthenticationSet: Sendable {
    public var methods: [AuthenticationProposal]

    public init(_ methods: [AuthenticationProposal]) { self.methods = methods }

    /// The distinct Auth-payload methods, in order.
    var offered: [AuthMethod] {
        var seen: [AuthMethod] = []
        for method in methods.map(\.method) where !seen.contains(method) { seen.append(method) }
        return seen
    }

    /// Whether any offered method needs Diffie-Hellman in Main Mode (NTLM, Anonymous).
    var needsDiffieHellman: Bool { offered.contains { $0 == .ntlm || $0 == .anonymous } }

    /// The entries for one method, in order.
    func entries(for method: AuthMethod) -> [AuthenticationProposal] { methods.filter { $0.method == method } }
}

/// One authentication method with what each role needs to run it.
public enum AuthenticationProposal: Sendable {
    /// Computer certificates through TLS: this side's certificates, the roots and revocation
    /// mode it judges the peer's chain with.
    case certificate(TLSConfiguration)
    /// Kerberos: the initiator's tickets, and the acceptor's keytab.
    case kerberos(initiator: KerberosCredentials?, acceptor: KerberosCredentials?)
    /// NTLMv2 (one-way, the initiator authenticates): the initiator's account, and the
    /// acceptor's names and account directory.
    case ntlm(initiator: NTLMCredentials?, acceptor: NTLMAcceptorSetup?)
    /// No authentication; Main Mode keys rest on Diffie-Hellman alone.
    case anonymous

    public var method: AuthMethod {
        switch self {
        case .certificate: return .tls
        case .kerberos: return .kerberos
        case .ntlm: return .ntlm
        case .anonymous: return .anonymous
        }
    }
}

/// What an NTLM acceptor needs: its names for the CHALLENGE and the directory it checks
/// responses against.
public struct NTLMAcceptorSetup: Sendable {
    public var configuration: NTLMAcceptorConfiguration
    /// Who checks the responses: the directory's NT hashes, or the domain controller (the
    /// engine then asks its driver with `validateNTLM`).
    public var verifier: NTLMVerifier

    public init(configuration: NTLMAcceptorConfiguration, verifier: NTLMVerifier) {
        self.configuration = configuration
        self.verifier = verifier
    }

    public init(configuration: NTLMAcceptorConfiguration, directory: any AccountDirectory) {
        self.init(configuration: configuration, verifier: .directory(directory))
    }
}
