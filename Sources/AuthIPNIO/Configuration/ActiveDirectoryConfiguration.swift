import AuthIP
import AuthIPCrypto
import AuthIPDirectory
import Foundation

/// The optional `activeDirectory` member: the LDAP directory every account is checked against,
/// instead of holding accounts on the server.
///
/// ```json
/// "activeDirectory": {
///   "uri": "ldaps://dc1.corp.contoso.com", "security": "ldaps", "caFile": "dc-ca.pem",
///   "bindDN": "svc-authip@corp.contoso.com", "passwordFile": "svc-authip.password",
///   "baseDN": "DC=corp,DC=contoso,DC=com", "domain": "CORP",
///   "cacheLifetime": 60, "timeout": 10
/// }
/// ```
///
/// `security` is `ldaps` or `startTLS`; `passwordFile` holds the service account's password
/// (its first line), so that the configuration itself holds no secret. `cacheLifetime` and
/// `timeout` are seconds (60 and 10 when absent).
struct ActiveDirectoryConfiguration: Decodable, Sendable {
    var uri: String
    var security: LDAPDirectoryConfiguration.Security
    var caFile: String
    var bindDN: String
    var passwordFile: String
    var baseDN: String
    var domain: String
    var cacheLifetime: Int
    var timeout: Int

    private enum CodingKeys: String, CodingKey {
        case uri, security, caFile, bindDN, passwordFile, baseDN, domain, cacheLifetime, timeout
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uri = try container.decode(.uri, as: "an ldaps:// or ldap:// URI") {
            $0.hasPrefix("ldaps://") || $0.hasPrefix("ldap://") ? $0 : nil
        }
        security = try container.decode(.security, as: "ldaps or startTLS") {
            ["ldaps": .ldaps, "startTLS": .startTLS][$0]
        }
        guard uri.hasPrefix(security == .ldaps ? "ldaps://" : "ldap://") else {
            throw DecodingError.dataCorruptedError(
                forKey: .uri, in: container,
                debugDescription: "does not match security: ldaps needs ldaps://, startTLS ldap://")
        }
        caFile = try container.decode(String.self, forKey: .caFile)
        bindDN = try container.decode(String.self, forKey: .bindDN)
        passwordFile = try container.decode(String.self, forKey: .passwordFile)
        baseDN = try container.decode(String.self, forKey: .baseDN)
        domain = try container.decode(String.self, forKey: .domain)
        cacheLifetime = try container.decodeIfPresent(Int.self, forKey: .cacheLifetime) ?? 60
        timeout = try container.decodeIfPresent(Int.self, forKey: .timeout) ?? 10
        guard cacheLifetime >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .cacheLifetime, in: container, debugDescription: "is negative")
        }
        guard timeout > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .timeout, in: container, debugDescription: "is not positive")
        }
    }

    /// The directory, its password read, and how the engine uses it.
    func directory(
        file: (String) -> String
    ) throws(DriverConfigurationError) -> (LDAPAccountDirectory, RemoteDirectoryPolicy) {
        let path = file(passwordFile)
        let contents: SecretBytes
        do {
            contents = try SecretFile.read(path)
        } catch {
            throw .unloadable(field: "activeDirectory.passwordFile", path: path, reason: error.description)
        }
        // The first line, without its end: counted in place, copied into a secret of its own.
        let length = contents.withUnsafeBytes { bytes in bytes.firstIndex { $0 == 0x0A || $0 == 0x0D } ?? bytes.count }
        guard length > 0 else {
            throw .unloadable(
                field: "activeDirectory.passwordFile", path: path, reason: "no password on its first line")
        }
        let configuration = LDAPDirectoryConfiguration(
            uri: uri, security: security, caFile: file(caFile), bindDN: bindDN,
            password: contents.prefix(length), baseDN: baseDN, domain: domain)
        return (
            LDAPAccountDirectory(configuration: configuration),
            RemoteDirectoryPolicy(cacheLifetime: .seconds(cacheLifetime), timeout: .seconds(timeout))
        )
    }
}
