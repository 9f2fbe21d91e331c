import AuthIPAudit
import Foundation

/// The `audit` member: where the daemon's audit records go besides standard output.
///
/// ```json
/// "audit": {"log": "audit.jsonl",
///           "syslog": {"udp": "[2001:db8::514]:514", "appName": "authip", "enterpriseNumber": 32473}}
/// ```
///
/// `log` is the durable log (`DurableAuditLog`: one JSON record a line, each synced before it
/// counts, record IDs continuing across restarts), a path resolved as the others. `syslog`
/// sends each record as an RFC 5424 message to exactly one of: `udp` (`HOST:PORT`,
/// `[IPv6]:PORT`, numeric; one datagram each), `unix` (a datagram socket such as `/dev/log`),
/// `tcp` (RFC 6587 octet-counted frames) or `tls` (RFC 5425). `tls` needs `caFile` (the CAs
/// the receiver's certificate must chain to) and `serverName` (the name it must carry; the
/// host when omitted), and takes `certificateFile` and `keyFile` for a receiver that asks for a
/// client certificate; those paths are resolved as the others. `appName` and
/// `enterpriseNumber` are optional.
///
/// ```json
/// "syslog": {"tls": "192.0.2.10:6514", "caFile": "syslog-ca.pem", "serverName": "logs.corp.contoso.com"}
/// ```
struct AuditConfiguration: Decodable, Sendable {
    var log: String?
    var syslog: Syslog?

    private enum CodingKeys: String, CodingKey { case log, syslog }

    struct Syslog: Decodable, Sendable {
        var destination: SyslogDestination
        var format: SyslogFormat

        private enum CodingKeys: String, CodingKey {
            case udp, unix, tcp, tls, caFile, serverName, certificateFile, keyFile, appName, enterpriseNumber
        }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownMembers(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let numeric = "HOST:PORT with a numeric host"
            let udp = try container.decodeIfPresent(.udp, as: numeric) { HostPort($0) }
            let tcp = try container.decodeIfPresent(.tcp, as: numeric) { HostPort($0) }
            let tls = try container.decodeIfPresent(.tls, as: numeric) { HostPort($0) }
            let unix = try container.decodeIfPresent(String.self, forKey: .unix)
            let tlsMembers: [CodingKeys] = [.caFile, .serverName, .certificateFile, .keyFile]
            if tls == nil, let member = tlsMembers.first(where: container.contains) {
                throw DecodingError.dataCorruptedError(
                    forKey: member, in: container, debugDescription: "is only for a tls receiver")
            }
            switch (udp, unix, tcp, tls) {
            case (let udp?, nil, nil, nil): destination = .udp(host: udp.host.description, port: udp.port)
            case (nil, let path?, nil, nil): destination = .unixDatagram(path: path)
            case (nil, nil, let tcp?, nil): destination = .tcp(host: tcp.host.description, port: tcp.port)
            case (nil, nil, nil, let tls?):
                let options = SyslogTLS(
                    caFile: try container.decode(String.self, forKey: .caFile),
                    serverName: try container.decodeIfPresent(String.self, forKey: .serverName)
                        ?? tls.host.description,
                    certificateFile: try container.decodeIfPresent(String.self, forKey: .certificateFile),
                    keyFile: try container.decodeIfPresent(String.self, forKey: .keyFile))
                if options.keyFile != nil && options.certificateFile == nil {
                    throw DecodingError.dataCorruptedError(
                        forKey: .keyFile, in: container, debugDescription: "needs certificateFile")
                }
                destination = .tls(host: tls.host.description, port: tls.port, options)
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .udp, in: container, debugDescription: "needs exactly one of udp, unix, tcp and tls")
            }
            do {
                format = try SyslogFormat(
                    appName: try container.decodeIfPresent(String.self, forKey: .appName)
                        ?? "Microsoft-Windows-Security-Auditing",
                    enterpriseNumber: try container.decodeIfPresent(UInt32.self, forKey: .enterpriseNumber) ?? 32473)
            } catch {
                throw DecodingError.dataCorruptedError(
                    forKey: .appName, in: container, debugDescription: "is not 1 to 48 printable ASCII characters")
            }
        }

        /// The destination with the TLS files resolved by `resolve`.
        func resolvingPaths(_ resolve: (String) -> String) -> SyslogDestination {
            guard case .tls(let host, let port, var options) = destination else { return destination }
            options.caFile = resolve(options.caFile)
            options.certificateFile = options.certificateFile.map(resolve)
            options.keyFile = options.keyFile.map(resolve)
            return .tls(host: host, port: port, options)
        }
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        log = try container.decodeIfPresent(String.self, forKey: .log)
        syslog = try container.decodeIfPresent(Syslog.self, forKey: .syslog)
    }
}

/// The `metrics` member: `{"listen": "127.0.0.1:9464"}`, where `GET /metrics` answers with the
/// Prometheus text exposition (`[::1]:9464` for IPv6; port 0: one the kernel picks).
struct MetricsConfiguration: Decodable, Sendable {
    var listen: HostPort

    private enum CodingKeys: String, CodingKey { case listen }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        listen = try container.decode(.listen, as: "HOST:PORT with a numeric host") {
            HostPort($0, allowsAnyPort: true)
        }
    }
}
