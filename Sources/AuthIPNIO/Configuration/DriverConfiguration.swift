import AuthIP
import AuthIPCrypto
import AuthIPDirectory
import AuthIPWire
import Foundation
import Logging

/// What a daemon running an `EndpointDriver` reads from its JSON configuration file: the
/// computer's names, the local addresses and ports to bind, the connection security rules and,
/// for an initiator, the traffic to acquire at start.
///
/// ```json
/// {
///   "computerName": "CLIENT1",
///   "principalName": "host/client1.corp.contoso.com@CORP.CONTOSO.COM",
///   "localAddresses": ["192.0.2.7"],
///   "port": 500, "natTraversalPort": 4500,
///   "rules": [{
///     "name": "To the server", "local": "192.0.2.7", "remote": "198.51.100.1",
///     "authentication": [{"method": "certificate", "identities": [{"certificate": "client.pem", "key": "client.key"}],
///                         "trustedRoots": ["root.pem"], "revocation": "none"}]
///   }],
///   "acquire": [{"source": "192.0.2.7", "destination": "198.51.100.1", "protocol": 6, "port": 445}]
/// }
/// ```
///
/// A responder may add `activeDirectory` (`ActiveDirectoryConfiguration`): accounts and groups
/// are then checked in Active Directory over LDAP.
///
/// `port` and `natTraversalPort` default to 500 and 4500; `denialOfServiceThreshold` (default
/// 500) is the number of half-open negotiations at which a responder answers new Main Modes
/// with DoS cookies (`EndpointSettings.denialOfServiceThreshold`); `acquire` is optional, and each entry's
/// `protocol` and `port` (the destination port) default to 0, any. A rule's members are those of
/// `RuleConfiguration`, its authentication methods those of `AuthenticationConfiguration`.
/// Unknown members are errors. Relative file paths are resolved against `baseDirectory`.
///
/// A daemon an administrator runs adds `controlSocket` (where `authip sa`, `authip block` and
/// `authip status` reach it; its directory must not be writable by others) and `stateDirectory`
/// (where the block list survives restarts), relative paths resolved as the others. With
/// `directAccess` (`DirectAccessConfiguration`), the DirectAccess server's or client's two
/// tunnels come from one section, and `rules` is optional. `audit` (`AuditConfiguration`) adds
/// the durable audit log and syslog, `metrics` (`MetricsConfiguration`) the Prometheus endpoint,
/// `cluster` (`ClusterConfiguration`) the etcd cluster the gateway is a node of.
/// `logLevel` (`trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`; default
/// `info`) sets what the diagnostics on standard error show (`DiagnosticLogHandler`). `user`
/// (and optionally `group`) is who the daemon runs as once its ports, sockets and log are open
/// (`PrivilegeDrop`); the configuration file, the CRL cache folders and what is loaded later
/// (keytabs) must then be that user's to read. `dataPlane` (`xfrm` or `none`; default `xfrm`
/// when started as root, else `none`) chooses where the Quick Mode SAs go: the Linux kernel's
/// IPsec (`AuthIPXFRM`), or only the printed lines.
public struct DriverConfiguration: Decodable, Sendable {
    /// The computer's name; the audit records carry it.
    public var computerName: String
    /// The SPN a responder sends in GSS_ID.
    public var principalName: String
    /// The addresses to bind, each at both ports.
    public var localAddresses: [IPAddress]
    /// The IKE port and the NAT-T port.
    public var port: UInt16
    public var natTraversalPort: UInt16
    /// Half-open negotiations that start DoS-cookie mode; nil: `EndpointSettings`' default.
    public var denialOfServiceThreshold: Int?
    /// The traffic an initiator acquires at start.
    public var acquire: [TrafficRequest]
    /// Where relative paths of certificates, keys, roots, CRL caches, keytabs and account
    /// directories are resolved: the file's folder after `load(path:)`.
    public var baseDirectory: URL
    var rules: [RuleConfiguration]
    /// The DirectAccess server or client preset; its rules come before `rules`.
    var directAccess: DirectAccessConfiguration?
    var activeDirectory: ActiveDirectoryConfiguration?
    var controlSocket: String?
    var stateDirectory: String?
    var audit: AuditConfiguration?
    var metrics: MetricsConfiguration?
    /// The cluster this gateway is a node of (`ClusterConfiguration`).
    var cluster: ClusterConfiguration?
    /// What the diagnostics show.
    public var logLevel: Logger.Level
    /// Who the daemon runs as once started as root; nil: it stays who started it.
    public var user: String?
    public var group: String?
    /// Where the SAs are installed.
    public var dataPlane: DataPlaneChoice

    /// Where a daemon's Quick Mode SAs go.
    public enum DataPlaneChoice: String, Sendable, Hashable {
        /// The Linux kernel's IPsec over netlink (needs CAP_NET_ADMIN).
        case xfrm
        /// Nowhere: the SAs are printed, as for tests and runs without privileges.
        case none
    }

    private enum CodingKeys: String, CodingKey {
        case computerName, principalName, localAddresses, port, natTraversalPort, rules, directAccess, acquire,
            activeDirectory, controlSocket, stateDirectory, audit, metrics, logLevel, user, group, dataPlane,
            denialOfServiceThreshold, cluster
    }

    /// Reads and checks the configuration file at `path`. A file that holds passwords must be
    /// its owner's alone.
    public static func load(path: String) throws(DriverConfigurationError) -> DriverConfiguration {
        let contents: SecretBytes
        do {
            contents = try SecretFile.readUnchecked(path)
        } catch {
            throw .unreadable(
                path: path, reason: FileManager.default.fileExists(atPath: path) ? "\(error)" : "no such file")
        }
        var json = contents.withUnsafeBytes { Data($0) }
        defer { json.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        let configuration = try DriverConfiguration(
            json: json, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent())
        if configuration.holdsPasswords {
            do {
                try SecretFile.checkPermissions(path)
            } catch {
                throw .unreadable(path: path, reason: "it holds passwords: \(error)")
            }
        }
        return configuration
    }

    /// Whether some rule carries a password inline.
    var holdsPasswords: Bool {
        directAccess?.holdsPasswords == true
            || rules.contains {
                $0.authentication.contains(where: \.holdsPassword)
                    || $0.extendedMode?.authentication.contains(where: \.holdsPassword) == true
            }
    }

    /// Parses and checks JSON text; relative paths will be resolved against `baseDirectory`.
    public init(json: Data, baseDirectory: URL) throws(DriverConfigurationError) {
        do {
            self = try JSONDecoder().decode(DriverConfiguration.self, from: json)
        } catch let error as DriverConfigurationError {
            throw error
        } catch let error as DecodingError {
            throw DriverConfigurationError(error)
        } catch {
            throw .notJSON(reason: "\(error)")
        }
        self.baseDirectory = baseDirectory
    }

    /// Decodes and checks the configuration; besides `DecodingError`, throws
    /// `DriverConfigurationError` when addresses do not fit together. Relative paths are
    /// resolved against the current directory.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        computerName = try container.decode(.computerName, as: "1 to 255 printable ASCII characters without spaces") {
            name in
            (1...255).contains(name.unicodeScalars.count)
                && name.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) } ? name : nil
        }
        principalName = try container.decode(String.self, forKey: .principalName)
        localAddresses = try container.decodeEach(.localAddresses, as: "an IP address", IPAddress.init)
        guard !localAddresses.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .localAddresses, in: container, debugDescription: "is empty")
        }
        guard Set(localAddresses).count == localAddresses.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .localAddresses, in: container, debugDescription: "lists an address twice")
        }
        port = try container.decodeIfPresent(UInt16.self, forKey: .port) ?? EndpointSettings().port
        natTraversalPort =
            try container.decodeIfPresent(UInt16.self, forKey: .natTraversalPort) ?? EndpointSettings().natTraversalPort
        guard port != natTraversalPort else {
            throw DecodingError.dataCorruptedError(
                forKey: .natTraversalPort, in: container, debugDescription: "is the same as port")
        }
        denialOfServiceThreshold = try container.decodeIfPresent(Int.self, forKey: .denialOfServiceThreshold)
        if let threshold = denialOfServiceThreshold, !(1...1_000_000).contains(threshold) {
            throw DecodingError.dataCorruptedError(
                forKey: .denialOfServiceThreshold, in: container, debugDescription: "must be 1 to 1000000")
        }
        directAccess = try container.decodeIfPresent(DirectAccessConfiguration.self, forKey: .directAccess)
        rules =
            directAccess == nil
            ? try container.decodeNonEmpty([RuleConfiguration].self, forKey: .rules)
            : try container.decodeIfPresent([RuleConfiguration].self, forKey: .rules) ?? []
        acquire = try container.decodeIfPresent([Acquire].self, forKey: .acquire)?.map(\.traffic) ?? []
        activeDirectory = try container.decodeIfPresent(ActiveDirectoryConfiguration.self, forKey: .activeDirectory)
        controlSocket = try container.decodeIfPresent(.controlSocket, as: "a path", Self.path)
        stateDirectory = try container.decodeIfPresent(.stateDirectory, as: "a path", Self.path)
        audit = try container.decodeIfPresent(AuditConfiguration.self, forKey: .audit)
        metrics = try container.decodeIfPresent(MetricsConfiguration.self, forKey: .metrics)
        cluster = try container.decodeIfPresent(ClusterConfiguration.self, forKey: .cluster)
        logLevel =
            try container.decodeIfPresent(.logLevel, as: "trace, debug, info, notice, warning, error or critical") {
                Logger.Level(rawValue: $0)
            } ?? .info
        user = try container.decodeIfPresent(.user, as: "a user name", Self.accountName)
        group = try container.decodeIfPresent(.group, as: "a group name", Self.accountName)
        if group != nil && user == nil {
            throw DecodingError.dataCorruptedError(forKey: .group, in: container, debugDescription: "needs user")
        }
        dataPlane =
            try container.decodeIfPresent(.dataPlane, as: "xfrm or none", DataPlaneChoice.init(rawValue:))
            ?? (geteuid() == 0 ? .xfrm : .none)
        baseDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        try checkAddresses()
    }

    /// A POSIX user or group name: 1 to 32 of letters, digits, `.`, `_` and `-`, not
    /// starting with `-`.
    private static func accountName(_ text: String) -> String? {
        let allowed = text.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
        return allowed && (1...32).contains(text.utf8.count) && !text.hasPrefix("-") ? text : nil
    }

    /// A path without NUL, of 1 to 4,095 bytes.
    static func path(_ text: String) -> String? {
        !text.isEmpty && text.utf8.count < 4_096 && !text.utf8.contains(0) ? text : nil
    }

    /// The control socket's path (`ControlServer`), resolved; nil: no control socket.
    public var controlSocketPath: String? { controlSocket.map(resolve) }
    /// Where the daemon keeps what must survive it (the block list), resolved; nil: nothing kept.
    public var stateDirectoryPath: String? { stateDirectory.map(resolve) }
    /// The durable audit log's path, resolved; nil: none.
    public var auditLogPath: String? { audit?.log.map(resolve) }

    /// Main Mode must run from a bound address: a tunnel rule's local endpoint, and for traffic
    /// acquired under a transport rule, the traffic's own source. Each acquire must fall under
    /// a rule.
    private func checkAddresses() throws(DriverConfigurationError) {
        for endpoint in directAccess?.tunnelEndpoints ?? [] where !localAddresses.contains(endpoint) {
            throw .invalidField(
                field: "directAccess", reason: "has the tunnel endpoint \(endpoint), which is not one of localAddresses"
            )
        }
        for (index, rule) in rules.enumerated() {
            if case .tunnel(let endpoint, _) = rule.mode, !localAddresses.contains(endpoint) {
                throw .invalidField(
                    field: "rules[\(index)].tunnel.localEndpoint",
                    reason: "is \(endpoint), which is not one of localAddresses")
            }
        }
        for (index, traffic) in acquire.enumerated() {
            if directAccess?.covers(traffic) == true { continue }
            guard let rule = rules.first(where: { $0.covers(traffic) }) else {
                throw .invalidField(field: "acquire[\(index)]", reason: "falls under no rule")
            }
            if case .transport = rule.mode, !localAddresses.contains(traffic.source) {
                throw .invalidField(
                    field: "acquire[\(index)].source",
                    reason: "is \(traffic.source), which is not one of localAddresses")
            }
        }
    }

    /// The Active Directory the driver asks for accounts, and the engine's policy for it; nil
    /// without `activeDirectory`.
    public func remoteDirectory() throws(DriverConfigurationError) -> (LDAPAccountDirectory, RemoteDirectoryPolicy)? {
        try activeDirectory.map { configuration throws(DriverConfigurationError) in
            try configuration.directory(file: resolve)
        }
    }

    /// The endpoint's configuration, with every certificate, key, root, CRL cache and account
    /// directory loaded.
    public func endpointConfiguration() throws(DriverConfigurationError) -> EndpointConfiguration {
        var settings = EndpointSettings()
        settings.port = port
        settings.natTraversalPort = natTraversalPort
        if let denialOfServiceThreshold { settings.denialOfServiceThreshold = denialOfServiceThreshold }
        var (built, directory) = try directAccess?.rules(file: resolve) ?? ([], nil)
        for (index, rule) in rules.enumerated() {
            built.append(try rule.rule(field: "rules[\(index)]", workstation: computerName, file: resolve))
        }
        return EndpointConfiguration(
            computerName: computerName, principalName: principalName, rules: built, settings: settings,
            directory: directory, remoteDirectory: try remoteDirectory()?.1)
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : baseDirectory.appendingPathComponent(path).path
    }
}

/// One member of `acquire`: `{"source": "192.0.2.7", "destination": "198.51.100.1",
/// "protocol": 6, "port": 445}`, protocol and destination port optional (0: any).
private struct Acquire: Decodable {
    let traffic: TrafficRequest

    private enum CodingKeys: String, CodingKey { case source, destination, `protocol`, port }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        traffic = TrafficRequest(
            source: try container.decode(.source, as: "an IP address", IPAddress.init),
            destination: try container.decode(.destination, as: "an IP address", IPAddress.init),
            ipProtocol: try container.decodeIfPresent(UInt8.self, forKey: .protocol) ?? 0,
            destinationPort: try container.decodeIfPresent(UInt16.self, forKey: .port) ?? 0)
    }
}
