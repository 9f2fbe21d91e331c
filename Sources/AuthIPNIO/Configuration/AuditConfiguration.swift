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
/// sends each record as an RFC 5424 datagram to `udp` (`HOST:PORT`, `[IPv6]:PORT`, numeric) or
/// `unix` (a datagram socket such as `/dev/log`), exactly one of the two; `appName` and
/// `enterpriseNumber` are optional.
struct AuditConfiguration: Decodable, Sendable {
    var log: String?
    var syslog: Syslog?

    private enum CodingKeys: String, CodingKey { case log, syslog }

    struct Syslog: Decodable, Sendable {
        var destination: SyslogDestination
        var format: SyslogFormat

        private enum CodingKeys: String, CodingKey { case udp, unix, appName, enterpriseNumber }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownMembers(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let udp = try container.decodeIfPresent(.udp, as: "HOST:PORT with a numeric host", Self.udp)
            let unix = try container.decodeIfPresent(String.self, forKey: .unix)
            switch (udp, unix) {
            case (let udp?, nil): destination = udp
            case (nil, let path?): destination = .unixDatagram(path: path)
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .udp, in: container, debugDescription: "needs exactly one of udp and unix")
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

        /// `192.0.2.1:514` or `[2001:db8::1]:514`.
        static func udp(_ text: String) -> SyslogDestination? {
            HostPort(text).map { .udp(host: $0.host.description, port: $0.port) }
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
