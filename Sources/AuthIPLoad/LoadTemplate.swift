import AuthIP
import AuthIPJSON
import AuthIPNIO
import AuthIPWire
import Foundation

/// A client template (`authip load --config`): a DirectAccess client's configuration with a
/// `load` member that names the other clients' certificates and accounts
/// (`LoadPreparation.clientTemplate`). Client `n` is the template with its name, address,
/// certificate and computer account.
public struct LoadTemplate: Sendable {
    /// The template without its `load` member.
    let document: JSONValue
    let baseDirectory: URL
    /// How many clients the prepared files hold.
    public let clients: Int
    let certificates: String
    let firstClientIPv4: IPv4Address
    /// The computer accounts' passwords, by account name.
    let passwords: [String: String]

    /// Reads the template at `path` and the accounts it names.
    public init(path: String) throws(LoadError) {
        let url = URL(fileURLWithPath: path)
        let document: JSONValue
        do {
            document = try JSONValue(parsing: String(contentsOf: url, encoding: .utf8))
        } catch {
            throw .template("\(path): \(error)")
        }
        guard case .object(let members) = document, let load = document["load"],
            let clients = load["clients"]?.integerValue, clients > 0,
            let certificates = load["certificates"]?.stringValue, let accounts = load["accounts"]?.stringValue,
            let first = load["firstClientIPv4"]?.stringValue.flatMap(IPv4Address.init)
        else {
            throw .template(
                "\(path) needs a \"load\" member with clients, certificates, accounts and firstClientIPv4 (authip load prepare writes one)"
            )
        }
        guard document["directAccess"]?["client"] != nil else {
            throw .template("\(path) is not a DirectAccess client's configuration")
        }
        baseDirectory = url.deletingLastPathComponent()
        self.document = .object(members.filter { $0.0 != "load" })
        self.clients = Int(clients)
        self.certificates = certificates
        firstClientIPv4 = first
        let directory: JSONValue
        do {
            directory = try JSONValue(
                parsing: String(contentsOf: baseDirectory.appendingPathComponent(accounts), encoding: .utf8))
        } catch {
            throw .template("the accounts \(accounts): \(error)")
        }
        var passwords: [String: String] = [:]
        for account in directory["accounts"]?.arrayValue ?? [] {
            if let name = account["name"]?.stringValue, let password = account["password"]?.stringValue {
                passwords[name.uppercased()] = password
            }
        }
        self.passwords = passwords
    }

    /// Client `number`'s tunnel endpoint.
    public func address(of number: Int) -> IPAddress {
        LoadPreparation.clientAddress(number, first: firstClientIPv4)
    }

    /// Client `number`'s configuration (from 1).
    public func configuration(of number: Int) throws(LoadError) -> DriverConfiguration {
        let name = LoadPreparation.clientName(number)
        guard let password = passwords[(name + "$").uppercased()] else {
            throw .client(number, "no account \(name)$ with a password in the directory")
        }
        let address = JSONValue.string(self.address(of: number).description)
        let client = document["directAccess"]?["client"] ?? .null
        let identity = JSONValue.object([
            ("certificate", .string("\(certificates)/\(name).pem")), ("key", .string("\(certificates)/\(name).key")),
        ])
        let certificate = (client["certificate"] ?? .object([])).setting("identities", to: .array([identity]))
        let account = (client["computerAccount"] ?? .object([]))
            .setting("user", to: .string(name + "$")).setting("password", to: .string(password))
        let acquire = (document["acquire"]?.arrayValue ?? []).map { $0.setting("source", to: address) }
        let text =
            document
            .setting("computerName", to: .string(name))
            .setting("principalName", to: .string("\(name)$@CORP.CONTOSO.COM"))
            .setting("localAddresses", to: .array([address]))
            .setting(
                "directAccess",
                to: .object([
                    (
                        "client",
                        client.setting("address", to: address).setting("certificate", to: certificate)
                            .setting("computerAccount", to: account)
                    )
                ])
            )
            .setting("acquire", to: .array(acquire))
            .compactText
        do {
            return try DriverConfiguration(json: Data(text.utf8), baseDirectory: baseDirectory)
        } catch {
            throw .client(number, "\(error)")
        }
    }
}

extension JSONValue {
    /// This object with member `name` set to `value` (replaced in place, or added last).
    func setting(_ name: String, to value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        if let index = members.firstIndex(where: { $0.0 == name }) {
            members[index].1 = value
        } else {
            members.append((name, value))
        }
        return .object(members)
    }
}
