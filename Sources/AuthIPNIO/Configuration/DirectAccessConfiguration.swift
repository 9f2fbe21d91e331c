import AuthIP
import AuthIPAccounts
import AuthIPGSS
import AuthIPTrust
import AuthIPWire
import Foundation

/// The `directAccess` member: the DirectAccess server or client preset (`DirectAccess.Server`,
/// `DirectAccess.Client`), both tunnels from one section. Exactly one of `server` and `client`.
///
/// ```json
/// "directAccess": {"server": {
///   "publicIPv4": ["131.107.0.2", "131.107.0.3"],
///   "certificate": {"identities": [{"certificate": "daserver.pem", "key": "daserver.key"}],
///                   "trustedRoots": ["root.pem"], "revocation": "weak", "crlCache": "crl-cache"},
///   "ntlm": {"netbiosDomain": "CORP", "netbiosComputer": "DASERVER", "dnsDomain": "corp.contoso.com",
///            "dnsComputer": "daserver.corp.contoso.com", "domainController": "winbind"},
///   "keytab": "daserver.keytab",
///   "infrastructureServers": ["2001:db8:1::53", "2001:db8:1::10"],
///   "intranetPrefixes": ["2001:db8:1::/48"], "managementPrefixes": ["2001:db8:1:8000::/96"],
///   "authorization": {"computerGroup": "DirectAccess Clients", "userGroup": "DirectAccess Users",
///                     "healthCertificate": false, "smartCard": false},
///   "directory": "accounts.json"}}
///
/// "directAccess": {"client": {
///   "address": "2002:c612:1::c612:1", "serverPublicIPv4": ["131.107.0.2", "131.107.0.3"],
///   "certificate": {"identities": [{"certificate": "client1.pem", "key": "client1.key"}], "trustedRoots": ["root.pem"]},
///   "computerAccount": {"user": "CLIENT1$", "domain": "CORP", "password": "…"},
///   "user": {"cache": "FILE:/tmp/krb5cc_alice"},
///   "infrastructureServers": ["2001:db8:1::53", "2001:db8:1::10"], "intranetPrefixes": ["2001:db8:1::/48"],
///   "serverIdentity": {"servicePrincipalName": "host/daserver.corp.contoso.com@CORP.CONTOSO.COM",
///                      "certificateHostNames": ["daserver.corp.contoso.com"]}}}
/// ```
///
/// The server's tunnel endpoints are the 6to4 addresses of its two public IPv4 addresses, and
/// must be among `localAddresses`; the client's `address` must be too. `certificate` takes the
/// members of a `certificate` authentication entry: the server checks the clients' chains with
/// weak revocation checking and client authentication unless it says otherwise, the client the
/// server's with none and server authentication. The server's `ntlm` is an NTLM acceptor
/// (`directory` or `domainController`), `keytab` its service keys; `authorization` defaults to
/// the computer group "DirectAccess Clients"; `directory` (a `JSONAccountDirectory` file) is the
/// embedded directory the groups are read from, unless the file's `activeDirectory` is used.
enum DirectAccessConfiguration: Decodable {
    case server(Server)
    case client(Client)

    private enum CodingKeys: String, CodingKey { case server, client }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let server = try container.decodeIfPresent(Server.self, forKey: .server)
        let client = try container.decodeIfPresent(Client.self, forKey: .client)
        switch (server, client) {
        case (let server?, nil): self = .server(server)
        case (nil, let client?): self = .client(client)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .server, in: container, debugDescription: "needs exactly one of server and client")
        }
    }

    /// The addresses the daemon must have bound: the tunnel endpoints.
    var tunnelEndpoints: [IPAddress] {
        switch self {
        case .server(let server): return server.publicIPv4.map { .v6(.sixToFour($0)) }
        case .client(let client): return [client.address]
        }
    }

    var holdsPasswords: Bool {
        if case .client = self { return true }
        return false
    }

    /// Whether traffic the daemon acquires falls under one of the preset's rules.
    func covers(_ traffic: TrafficRequest) -> Bool {
        guard case .client(let client) = self, traffic.source == client.address else { return false }
        return (client.infrastructureServers + client.intranetPrefixes + (client.managementPrefixes ?? []))
            .contains { $0.contains(traffic.destination) }
    }

    /// The preset's rules, credentials loaded, and for a server its embedded directory.
    func rules(
        file: (String) -> String
    ) throws(DriverConfigurationError) -> (
        [ConnectionSecurityRule], (any AccountDirectory)?
    ) {
        switch self {
        case .server(let server): return try server.rules(file: file)
        case .client(let client): return (try client.rules(file: file), nil)
        }
    }

    /// `directAccess.server`.
    struct Server: Decodable {
        var publicIPv4: [IPv4Address]
        var certificate: CertificateAuthentication
        var ntlm: NTLMAcceptor
        var keytab: String
        var infrastructureServers: [AddressRange]
        var intranetPrefixes: [AddressRange]
        var managementPrefixes: [AddressRange]?
        var authorization: AuthorizationPolicy
        var directory: String?

        private enum CodingKeys: String, CodingKey {
            case publicIPv4, certificate, ntlm, keytab, infrastructureServers, intranetPrefixes, managementPrefixes,
                authorization, directory
        }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownMembers(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            publicIPv4 = try container.decodeEach(.publicIPv4, as: "an IPv4 address", IPv4Address.init)
            guard publicIPv4.count == 2, publicIPv4[0] != publicIPv4[1] else {
                throw DecodingError.dataCorruptedError(
                    forKey: .publicIPv4, in: container,
                    debugDescription: "needs two different addresses: the infrastructure and the intranet tunnel's")
            }
            certificate = try container.decode(CertificateAuthentication.self, forKey: .certificate)
            if certificate.peerUsage == nil { certificate.peerUsage = .initiator }
            ntlm = try container.decode(NTLMAcceptor.self, forKey: .ntlm)
            keytab = try container.decode(String.self, forKey: .keytab)
            infrastructureServers = try container.decodeRanges(.infrastructureServers, required: true)
            intranetPrefixes = try container.decodeRanges(.intranetPrefixes, required: true)
            managementPrefixes = try container.decodeRangesIfPresent(.managementPrefixes, required: false)
            authorization =
                try container.decodeIfPresent(AuthorizationConfiguration.self, forKey: .authorization)?.policy
                ?? AuthorizationPolicy(requiredComputerGroup: "DirectAccess Clients")
            directory = try container.decodeIfPresent(String.self, forKey: .directory)
        }

        func rules(
            file: (String) -> String
        ) throws(DriverConfigurationError) -> (
            [ConnectionSecurityRule], (any AccountDirectory)?
        ) {
            let field = "directAccess.server"
            let keys = KerberosCredentials.keytab(
                try AuthenticationConfiguration.keytab(keytab, field: "\(field).keytab", file: file))
            var accounts: JSONAccountDirectory?
            if let directory {
                do {
                    accounts = try JSONAccountDirectory(contentsOf: URL(fileURLWithPath: file(directory)))
                } catch {
                    throw .unloadable(field: "\(field).directory", path: file(directory), reason: "\(error)")
                }
            }
            let setup = DirectAccess.Server(
                firstPublicIPv4: publicIPv4[0], secondPublicIPv4: publicIPv4[1],
                certificate: try certificate.tlsConfiguration(field: "\(field).certificate", file: file),
                ntlm: try ntlm.setup(field: "\(field).ntlm", file: file), keytab: keys,
                infrastructureServers: infrastructureServers, intranetPrefixes: intranetPrefixes,
                managementPrefixes: managementPrefixes, authorization: authorization)
            return (setup.rules, accounts)
        }
    }

    /// `directAccess.client`.
    struct Client: Decodable {
        var address: IPAddress
        var serverPublicIPv4: [IPv4Address]
        var certificate: CertificateAuthentication
        var computerAccount: NTLMInitiator
        var user: KerberosInitiator
        var infrastructureServers: [AddressRange]
        var intranetPrefixes: [AddressRange]
        var managementPrefixes: [AddressRange]?
        var serverIdentity: ResponderIdentity?

        private enum CodingKeys: String, CodingKey {
            case address, serverPublicIPv4, certificate, computerAccount, user, infrastructureServers,
                intranetPrefixes, managementPrefixes, serverIdentity
        }

        private enum IdentityKeys: String, CodingKey { case servicePrincipalName, certificateHostNames }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownMembers(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            address = try container.decode(.address, as: "an IP address", IPAddress.init)
            serverPublicIPv4 = try container.decodeEach(.serverPublicIPv4, as: "an IPv4 address", IPv4Address.init)
            guard serverPublicIPv4.count == 2, serverPublicIPv4[0] != serverPublicIPv4[1] else {
                throw DecodingError.dataCorruptedError(
                    forKey: .serverPublicIPv4, in: container, debugDescription: "needs the server's two addresses")
            }
            certificate = try container.decode(CertificateAuthentication.self, forKey: .certificate)
            if certificate.peerUsage == nil { certificate.peerUsage = .responder }
            if !certificate.revocationGiven { certificate.revocation = .none }
            computerAccount = try container.decode(NTLMInitiator.self, forKey: .computerAccount)
            user = try container.decode(KerberosInitiator.self, forKey: .user)
            infrastructureServers = try container.decodeRanges(.infrastructureServers, required: true)
            intranetPrefixes = try container.decodeRanges(.intranetPrefixes, required: true)
            managementPrefixes = try container.decodeRangesIfPresent(.managementPrefixes, required: false)
            if container.contains(.serverIdentity) {
                let nested = try container.superDecoder(forKey: .serverIdentity)
                try nested.rejectUnknownMembers(IdentityKeys.self)
                let identity = try nested.container(keyedBy: IdentityKeys.self)
                let names = try identity.decodeIfPresent([String].self, forKey: .certificateHostNames) ?? []
                let spn = try identity.decodeIfPresent(String.self, forKey: .servicePrincipalName)
                guard spn != nil || !names.isEmpty else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .servicePrincipalName, in: identity,
                        debugDescription: "needs servicePrincipalName, certificateHostNames or both")
                }
                serverIdentity = ResponderIdentity(servicePrincipalName: spn, certificateHostNames: names)
            }
        }

        func rules(file: (String) -> String) throws(DriverConfigurationError) -> [ConnectionSecurityRule] {
            let field = "directAccess.client"
            let workstation =
                computerAccount.user.hasSuffix("$")
                ? String(computerAccount.user.dropLast()) : computerAccount.user
            return DirectAccess.Client(
                address: address, serverFirstPublicIPv4: serverPublicIPv4[0],
                serverSecondPublicIPv4: serverPublicIPv4[1],
                certificate: try certificate.tlsConfiguration(field: "\(field).certificate", file: file),
                computerAccount: computerAccount.credentials(defaultWorkstation: workstation),
                user: .cache(user.cache), infrastructureServers: infrastructureServers,
                intranetPrefixes: intranetPrefixes, managementPrefixes: managementPrefixes,
                serverIdentity: serverIdentity
            ).rules
        }
    }
}

/// `authorization`, of a rule or of the DirectAccess server: `computerGroup` and `userGroup`
/// (the groups the peer's computer and user must be in), `healthCertificate` (NAP: the Main
/// Mode certificate must be a health certificate, else 13905) and `smartCard` (the user's
/// Kerberos credential must come from a smart card, else 13906), all optional.
struct AuthorizationConfiguration: Decodable {
    var policy: AuthorizationPolicy

    private enum CodingKeys: String, CodingKey { case computerGroup, userGroup, healthCertificate, smartCard }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        policy = AuthorizationPolicy(
            requiredComputerGroup: try container.decodeIfPresent(String.self, forKey: .computerGroup),
            requiredUserGroup: try container.decodeIfPresent(String.self, forKey: .userGroup),
            requiresHealthCertificate: try container.decodeIfPresent(Bool.self, forKey: .healthCertificate) ?? false,
            requiresSmartCard: try container.decodeIfPresent(Bool.self, forKey: .smartCard) ?? false)
    }
}

extension KeyedDecodingContainer {
    /// A list of address ranges (an address, a prefix or a range first-last each); empty is an
    /// error when `required`.
    func decodeRanges(_ key: Key, required: Bool) throws -> [AddressRange] {
        let ranges = try decodeEach(key, as: RuleConfiguration.rangeForms, AddressRange.init)
        if required && ranges.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "is empty")
        }
        return ranges
    }

    /// `decodeRanges` when the member is there; nil when it is not.
    func decodeRangesIfPresent(_ key: Key, required: Bool) throws -> [AddressRange]? {
        contains(key) ? try decodeRanges(key, required: required) : nil
    }
}
