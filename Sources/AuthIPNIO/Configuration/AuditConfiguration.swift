import AuthIPAudit
import AuthIPWire
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
            guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port != 0
            else { return nil }
            var host = String(text[..<colon])
            let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
            if bracketed { host = String(host.dropFirst().dropLast()) }
            // IPv6 in brackets, IPv4 without.
            switch IPAddress(host) {
            case .v4?: return bracketed ? nil : .udp(host: host, port: port)
            case .v6?: return bracketed ? .udp(host: host, port: port) : nil
            case nil: return nil
            }
        }
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        log = try container.decodeIfPresent(String.self, forKey: .log)
        syslog = try container.decodeIfPresent(Syslog.self, forKey: .syslog)
    }
}
