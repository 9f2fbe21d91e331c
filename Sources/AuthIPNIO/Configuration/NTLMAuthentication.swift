import AuthIP
import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import Foundation

/// An `ntlm` entry's `initiator`: the account it authenticates as, and the workstation name
/// it reports (the computer name when absent). The password is kept only as its NT hash.
struct NTLMInitiator: Decodable {
    var user: String
    var domain: String
    var ntHash: SecretBytes
    var workstation: String?

    private enum CodingKeys: String, CodingKey { case user, domain, password, workstation }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        user = try container.decode(String.self, forKey: .user)
        domain = try container.decode(String.self, forKey: .domain)
        ntHash =
            NTLMCredentials(
                user: user, domain: domain, password: try container.decode(String.self, forKey: .password),
                workstation: ""
            ).ntHash
        workstation = try container.decodeIfPresent(String.self, forKey: .workstation)
    }

    func credentials(defaultWorkstation: String) -> NTLMCredentials {
        NTLMCredentials(user: user, domain: domain, ntHash: ntHash, workstation: workstation ?? defaultWorkstation)!
    }
}

/// An `ntlm` entry's `acceptor`: the names its CHALLENGE carries and who checks the responses:
/// an account directory (`"directory"`: a `JSONAccountDirectory` file), or the domain
/// controller through winbind (`"domainController": "winbind"`), exactly one of the two.
struct NTLMAcceptor: Decodable {
    var netbiosDomain: String
    var netbiosComputer: String
    var dnsDomain: String
    var dnsComputer: String
    var directory: String?

    private enum CodingKeys: String, CodingKey {
        case netbiosDomain, netbiosComputer, dnsDomain, dnsComputer, directory, domainController
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        netbiosDomain = try container.decode(String.self, forKey: .netbiosDomain)
        netbiosComputer = try container.decode(String.self, forKey: .netbiosComputer)
        dnsDomain = try container.decode(String.self, forKey: .dnsDomain)
        dnsComputer = try container.decode(String.self, forKey: .dnsComputer)
        directory = try container.decodeIfPresent(String.self, forKey: .directory)
        let domainController = try container.decodeIfPresent(.domainController, as: "winbind") {
            $0 == "winbind" ? $0 : nil
        }
        guard (directory == nil) != (domainController == nil) else {
            throw DecodingError.dataCorruptedError(
                forKey: .directory, in: container,
                debugDescription: "needs exactly one of directory and domainController")
        }
    }

    /// The acceptor with its account directory loaded.
    func setup(field: String, file: (String) -> String) throws(DriverConfigurationError) -> NTLMAcceptorSetup {
        let configuration = NTLMAcceptorConfiguration(
            netbiosDomainName: netbiosDomain, netbiosComputerName: netbiosComputer,
            dnsDomainName: dnsDomain, dnsComputerName: dnsComputer)
        guard let directory else { return NTLMAcceptorSetup(configuration: configuration, verifier: .domainController) }
        let accounts: JSONAccountDirectory
        do {
            accounts = try JSONAccountDirectory(contentsOf: URL(fileURLWithPath: file(directory)))
        } catch {
            throw .unloadable(field: "\(field).directory", path: file(directory), reason: "\(error)")
        }
        return NTLMAcceptorSetup(configuration: configuration, directory: accounts)
    }
}
