/// Why syslog output could not be configured or sent.
public enum SyslogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// RFC 5424 facilities are 0–23.
    case invalidFacility(UInt8)
    /// APP-NAME must be 1–48 printable ASCII characters.
    case invalidAppName(String)
    /// The host is not a numeric IPv4 or IPv6 address.
    case invalidHost(String)
    /// The Unix socket path does not fit a socket address.
    case invalidSocketPath(String)
    /// `socket(2)` failed.
    case socket(errno: Int32)
    /// `sendto(2)` failed (`EMSGSIZE`: the message is larger than a datagram may be), or a
    /// write on a stream.
    case send(errno: Int32)
    /// A stream receiver could not be reached.
    case connect(String)
    /// TLS could not be set up, or the receiver did not prove who it is.
    case tls(String)

    public var description: String {
        switch self {
        case .invalidFacility(let code): return "syslog facility \(code) is not 0-23"
        case .invalidAppName(let name): return "syslog APP-NAME \"\(name)\" is not 1-48 printable ASCII characters"
        case .invalidHost(let host): return "\(host) is not a numeric IPv4 or IPv6 address"
        case .invalidSocketPath(let path): return "\(path) does not fit a Unix socket address"
        case .socket(let errno): return "socket() failed: errno \(errno)"
        case .send(let errno): return "sending failed: errno \(errno)"
        case .connect(let reason): return "cannot connect: \(reason)"
        case .tls(let reason): return "TLS: \(reason)"
        }
    }
}
