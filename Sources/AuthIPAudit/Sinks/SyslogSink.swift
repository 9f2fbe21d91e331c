#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where syslog messages go.
public enum SyslogDestination: Hashable, Sendable {
    /// A syslog receiver over UDP (RFC 5426); `host` is a numeric IPv4 or IPv6 address.
    case udp(host: String, port: UInt16)
    /// A Unix datagram socket, such as a local syslog daemon's.
    case unixDatagram(path: String)
    /// A syslog receiver over TCP (RFC 6587, octet counting); `host` is numeric.
    case tcp(host: String, port: UInt16)
    /// A syslog receiver over TLS (RFC 5425); `host` is numeric, the name checked is the
    /// options' `serverName`.
    case tls(host: String, port: UInt16, SyslogTLS)
}

/// Sends each record as an RFC 5424 message: one datagram (fire-and-forget, as syslog over
/// datagrams is), or one frame on a TCP or TLS stream (see `SyslogStream`). Either way the
/// durable record is `DurableAuditLog`'s.
public struct SyslogSink: ~Copyable {
    public let format: SyslogFormat
    private let descriptor: Int32
    private let address: SyslogSocketAddress
    private let stream: SyslogStream?

    public init(destination: SyslogDestination, format: SyslogFormat) throws(SyslogError) {
        let address = try SyslogSocketAddress(destination)
        let descriptor: Int32
        let stream: SyslogStream?
        switch destination {
        case .udp, .unixDatagram:
            descriptor = socket(address.family, Self.datagramType, 0)
            guard descriptor >= 0 else { throw .socket(errno: errno) }
            stream = nil
        case .tcp:
            descriptor = -1
            stream = try SyslogStream(address: address, tls: nil)
        case .tls(_, _, let options):
            descriptor = -1
            stream = try SyslogStream(address: address, tls: options)
        }
        self.format = format
        self.address = address
        self.descriptor = descriptor
        self.stream = stream
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Formats the record and sends it.
    public func send(_ record: AuditRecord) throws(SyslogError) {
        let message = format.message(for: record)
        if let stream { return try stream.send(message) }
        while true {
            let sent = message.withUnsafeBytes { bytes in
                address.withSockaddr { sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, $1) }
            }
            if sent >= 0 { return }
            if errno != EINTR { throw .send(errno: errno) }
        }
    }

    #if canImport(Glibc)
    private static let datagramType = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    #else
    private static let datagramType = SOCK_DGRAM
    #endif
}

/// A socket address built once from a destination.
struct SyslogSocketAddress {
    private var storage = sockaddr_storage()
    private let length: socklen_t
    let family: Int32

    init(_ destination: SyslogDestination) throws(SyslogError) {
        switch destination {
        case let .udp(host, port), let .tcp(host, port), let .tls(host, port, _):
            var v4 = sockaddr_in()
            var v6 = sockaddr_in6()
            if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
                v4.sin_family = sa_family_t(AF_INET)
                v4.sin_port = port.bigEndian
                family = AF_INET
                length = socklen_t(MemoryLayout<sockaddr_in>.size)
                withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v4, as: sockaddr_in.self) }
            } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
                v6.sin6_family = sa_family_t(AF_INET6)
                v6.sin6_port = port.bigEndian
                family = AF_INET6
                length = socklen_t(MemoryLayout<sockaddr_in6>.size)
                withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v6, as: sockaddr_in6.self) }
            } else {
                throw .invalidHost(host)
            }
        case .unixDatagram(let path):
            var unix = sockaddr_un()
            let bytes = Array(path.utf8)
            let capacity = MemoryLayout.size(ofValue: unix.sun_path)
            guard !bytes.isEmpty, bytes.count < capacity else { throw .invalidSocketPath(path) }
            unix.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &unix.sun_path) { $0.copyBytes(from: bytes) }
            family = AF_UNIX
            length = socklen_t(MemoryLayout<sockaddr_un>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: unix, as: sockaddr_un.self) }
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}
