import AuthIP
import AuthIPCrypto
import AuthIPGSS
import AuthIPTrust
import Foundation

/// One member of a rule's `authentication` list, chosen by `method`:
///
/// ```json
/// {"method": "certificate", "identities": [{"certificate": "host.pem", "key": "host.key"}],
///  "trustedRoots": ["root.pem"], "revocation": "weak", "crlCache": "crl-cache", "peerUsage": "initiator"}
/// {"method": "kerberos", "initiator": {"cache": "FILE:/tmp/krb5cc_0"}, "acceptor": {"keytab": "/etc/krb5.keytab"}}
/// {"method": "ntlm", "initiator": {"user": "CLIENT1$", "domain": "CORP", "password": "…"},
///  "acceptor": {"netbiosDomain": "CORP", "netbiosComputer": "DASERVER", "dnsDomain": "corp.contoso.com",
///               "dnsComputer": "daserver.corp.contoso.com", "directory": "accounts.json"}}
/// {"method": "anonymous"}
/// ```
///
/// The members are described with `CertificateAuthentication`, `KerberosInitiator`,
/// `KerberosAcceptor`, `NTLMInitiator` and `NTLMAcceptor`. Kerberos and NTLM need an initiator,
/// an acceptor or both.
enum AuthenticationConfiguration: Decodable {
    case certificate(CertificateAuthentication)
    case kerberos(initiator: KerberosInitiator?, acceptor: KerberosAcceptor?)
    case ntlm(initiator: NTLMInitiator?, acceptor: NTLMAcceptor?)
    case anonymous

    private enum MethodKey: String, CodingKey { case method }
    private enum RoleKeys: String, CodingKey { case method, initiator, acceptor }

    init(from decoder: any Decoder) throws {
        let method = try decoder.container(keyedBy: MethodKey.self)
        switch try method.decode(String.self, forKey: .method) {
        case "certificate":
            self = .certificate(try CertificateAuthentication(from: decoder))
        case "kerberos":
            let (initiator, acceptor) = try Self.roles(KerberosInitiator.self, KerberosAcceptor.self, decoder)
            self = .kerberos(initiator: initiator, acceptor: acceptor)
        case "ntlm":
            let (initiator, acceptor) = try Self.roles(NTLMInitiator.self, NTLMAcceptor.self, decoder)
            self = .ntlm(initiator: initiator, acceptor: acceptor)
        case "anonymous":
            try decoder.rejectUnknownMembers(MethodKey.self)
            self = .anonymous
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .method, in: method,
                debugDescription: "is \"\(other)\", not certificate, kerberos, ntlm or anonymous")
        }
    }

    /// The `initiator` and `acceptor` members, at least one of them present.
    private static func roles<Initiator: Decodable, Acceptor: Decodable>(
        _: Initiator.Type, _: Acceptor.Type, _ decoder: any Decoder
    ) throws -> (Initiator?, Acceptor?) {
        try decoder.rejectUnknownMembers(RoleKeys.self)
        let roles = try decoder.container(keyedBy: RoleKeys.self)
        let initiator = try roles.decodeIfPresent(Initiator.self, forKey: .initiator)
        let acceptor = try roles.decodeIfPresent(Acceptor.self, forKey: .acceptor)
        guard initiator != nil || acceptor != nil else {
            throw DecodingError.dataCorruptedError(
                forKey: .method, in: roles, debugDescription: "needs an initiator, an acceptor or both")
        }
        return (initiator, acceptor)
    }

    /// The methods of an `authentication` list, loaded; `field` names the list in errors.
    static func set(
        _ entries: [AuthenticationConfiguration], field: String, workstation: String, file: (String) -> String
    ) throws(DriverConfigurationError) -> AuthenticationSet {
        var methods: [AuthenticationProposal] = []
        for (index, entry) in entries.enumerated() {
            methods.append(try entry.proposal(field: "\(field)[\(index)]", workstation: workstation, file: file))
        }
        return AuthenticationSet(methods)
    }

    /// A configured keytab, resolved: a bare path against the file's folder (a name with its type,
    /// `FILE:/etc/krb5.keytab`, as it is). A keytab holds keys: its file must be its owner's alone.
    static func keytab(
        _ configured: String, field: String, file: (String) -> String
    ) throws(DriverConfigurationError) -> String {
        let keytab = configured.contains(":") ? configured : file(configured)
        guard !keytab.contains(":") || keytab.hasPrefix("FILE:") else { return keytab }
        let path = keytab.hasPrefix("FILE:") ? String(keytab.dropFirst(5)) : keytab
        do {
            try SecretFile.checkPermissions(path)
        } catch {
            throw .unloadable(field: field, path: path, reason: error.description)
        }
        return keytab
    }

    /// Whether the entry holds a password inline (its configuration file is then a secret).
    var holdsPassword: Bool {
        if case .ntlm(.some, _) = self { return true }
        return false
    }

    /// The proposal, with its files loaded; `field` names this entry in errors, `file` resolves
    /// a configured path.
    func proposal(
        field: String, workstation: String, file: (String) -> String
    ) throws(DriverConfigurationError) -> AuthenticationProposal {
        switch self {
        case .certificate(let setup):
            return .certificate(try setup.tlsConfiguration(field: field, file: file))
        case let .kerberos(initiator, acceptor):
            let keytab = try acceptor.map { acceptor throws(DriverConfigurationError) in
                try Self.keytab(acceptor.keytab, field: field + ".acceptor.keytab", file: file)
            }
            return .kerberos(initiator: initiator.map { .cache($0.cache) }, acceptor: keytab.map { .keytab($0) })
        case let .ntlm(initiator, acceptor):
            var setup: NTLMAcceptorSetup?
            if let acceptor { setup = try acceptor.setup(field: field + ".acceptor", file: file) }
            return .ntlm(initiator: initiator?.credentials(defaultWorkstation: workstation), acceptor: setup)
        case .anonymous:
            return .anonymous
        }
    }
}
