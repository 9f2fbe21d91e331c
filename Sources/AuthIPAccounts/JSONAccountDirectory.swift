import AuthIPCrypto
import AuthIPJSON
import AuthIPWire
import Foundation

/// The embedded account directory: one domain's accounts, read from a JSON file.
///
/// ```json
/// {
///   "description": "…",                     // optional, ignored
///   "domain": "CORP",                       // NetBIOS name (required)
///   "dnsDomain": "corp.contoso.com",        // DNS name (optional)
///   "accounts": [
///     { "name": "CLIENT1$",                 // sAMAccountName; computers end in "$"
///       "kind": "computer",                 // "computer" or "user" (required)
///       "enabled": true,                    // optional, default true
///       "password": "…",                    // either the password …
///       "ntHash": "8846f7eaee8fb117…",      // … or its NT hash, 32 hex digits
///       "groups": ["Domain Computers"],     // optional, default []
///       "smartCardRequired": false,         // optional, default false
///       "denyNTLM": false }                 // optional, default false
///   ]
/// }
/// ```
///
/// Unknown fields are errors, so that a misspelt `"enabled"` cannot leave an account enabled.
/// Names and domains compare case-insensitively; an empty domain in a look-up means this one.
public struct JSONAccountDirectory: AccountDirectory {
    public let domain: String
    public let dnsDomain: String?
    /// The accounts in file order.
    public let accounts: [Account]
    private let index: [String: Int]

    /// Reads the directory file at `url`, which holds passwords and so must be its owner's
    /// alone.
    public init(contentsOf url: URL) throws(AccountDirectoryError) {
        let bytes: SecretBytes
        do {
            bytes = try SecretFile.read(url.path)
        } catch {
            throw .unreadable(path: url.path, reason: error.description)
        }
        try self.init(json: bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
    }

    /// Reads a directory from JSON text.
    public init(json text: String) throws(AccountDirectoryError) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: text)
        } catch {
            throw .malformedJSON(error)
        }
        var top = try Fields(document, account: nil)
        _ = try top.optionalString("description")
        domain = try top.string("domain")
        dnsDomain = try top.optionalString("dnsDomain")
        var accounts: [Account] = []
        var index: [String: Int] = [:]
        for entry in try top.array("accounts") {
            let account = try Self.account(entry, domain: domain)
            let key = WindowsText.uppercased(account.samAccountName)
            guard index[key] == nil else { throw .duplicateAccount(account.samAccountName) }
            index[key] = accounts.count
            accounts.append(account)
        }
        try top.rejectUnknown()
        self.accounts = accounts
        self.index = index
    }

    public var ownDomain: (netBIOS: String, dns: String?)? { (domain, dnsDomain) }

    public func account(named name: String, inDomain domain: String) -> Account? {
        let wanted = WindowsText.uppercased(domain)
        guard
            wanted.isEmpty || wanted == WindowsText.uppercased(self.domain)
                || dnsDomain.map({ WindowsText.uppercased($0) == wanted }) == true
        else { return nil }
        return index[WindowsText.uppercased(name)].map { accounts[$0] }
    }

    private static func account(_ entry: JSONValue, domain: String) throws(AccountDirectoryError) -> Account {
        let label = entry["name"]?.stringValue
        var fields = try Fields(entry, account: label)
        let name = try fields.string("name")
        let kindText = try fields.string("kind")
        guard let kind = Account.Kind(rawValue: kindText) else {
            throw .invalidField(
                account: name, field: "kind", reason: "is \"\(kindText)\", not \"computer\" or \"user\"")
        }
        guard (kind == .computer) == name.hasSuffix("$") else {
            throw .invalidField(
                account: name, field: "kind", reason: "is \(kindText), but computer names and only they end in $")
        }
        let ntHash = try Self.ntHash(&fields, account: name)
        let account = Account(
            samAccountName: name, domain: domain, kind: kind, isEnabled: try fields.optionalBool("enabled") ?? true,
            ntHash: ntHash, groups: try fields.optionalStrings("groups") ?? [],
            policy: AuthenticationPolicy(
                smartCardRequired: try fields.optionalBool("smartCardRequired") ?? false,
                denyNTLM: try fields.optionalBool("denyNTLM") ?? false))
        try fields.rejectUnknown()
        return account
    }

    /// The NT hash from exactly one of `password` and `ntHash`.
    private static func ntHash(_ fields: inout Fields, account: String) throws(AccountDirectoryError) -> SecretBytes {
        switch (try fields.optionalString("password"), try fields.optionalString("ntHash")) {
        case let (password?, nil):
            return Account.ntHash(password: password)
        case let (nil, hex?):
            guard let bytes = Hex.decode(hex), bytes.count == 16 else {
                throw .invalidField(account: account, field: "ntHash", reason: "is not 32 hex digits")
            }
            return SecretBytes(bytes)
        case (_?, _?):
            throw .invalidField(account: account, field: "password", reason: "and ntHash are both given")
        case (nil, nil):
            throw .invalidField(account: account, field: "password", reason: "or ntHash is required")
        }
    }
}

/// The members of one JSON object, read once each, so that whatever is left is unknown.
private struct Fields {
    private var members: [String: JSONValue]
    private let account: String?

    init(_ value: JSONValue, account: String?) throws(AccountDirectoryError) {
        guard case .object(let pairs) = value else {
            throw .invalidField(
                account: account, field: account == nil ? "(top level)" : "(account)", reason: "is not an object")
        }
        members = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        self.account = account
    }

    private func wrongType(_ key: String, _ expected: String) -> AccountDirectoryError {
        .invalidField(account: account, field: key, reason: "is not \(expected)")
    }

    mutating func optionalString(_ key: String) throws(AccountDirectoryError) -> String? {
        guard let value = members.removeValue(forKey: key) else { return nil }
        guard let text = value.stringValue else { throw wrongType(key, "a string") }
        return text
    }

    mutating func string(_ key: String) throws(AccountDirectoryError) -> String {
        guard let text = try optionalString(key) else {
            throw .invalidField(account: account, field: key, reason: "is missing")
        }
        guard !text.isEmpty else { throw .invalidField(account: account, field: key, reason: "is empty") }
        return text
    }

    mutating func optionalBool(_ key: String) throws(AccountDirectoryError) -> Bool? {
        guard let value = members.removeValue(forKey: key) else { return nil }
        guard let flag = value.boolValue else { throw wrongType(key, "true or false") }
        return flag
    }

    mutating func array(_ key: String) throws(AccountDirectoryError) -> [JSONValue] {
        guard let value = members.removeValue(forKey: key) else {
            throw .invalidField(account: account, field: key, reason: "is missing")
        }
        guard let items = value.arrayValue else { throw wrongType(key, "an array") }
        return items
    }

    mutating func optionalStrings(_ key: String) throws(AccountDirectoryError) -> [String]? {
        guard let value = members.removeValue(forKey: key) else { return nil }
        guard let items = value.arrayValue else { throw wrongType(key, "an array of strings") }
        var strings: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw wrongType(key, "an array of strings") }
            strings.append(text)
        }
        return strings
    }

    func rejectUnknown() throws(AccountDirectoryError) {
        if let key = members.keys.sorted().first {
            throw .invalidField(account: account, field: key, reason: "is not a known field")
        }
    }
}
