import AuthIPWire
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

extension SocketAddress {
    /// The socket address of an endpoint address.
    public init(_ address: EndpointAddress) throws {
        switch address.ip {
        case .v4(let ip):
            var socket = sockaddr_in()
            socket.sin_family = sa_family_t(AF_INET)
            socket.sin_port = address.port.bigEndian
            socket.sin_addr.s_addr = ip.value.bigEndian
            self.init(socket, host: "")
        case .v6(let ip):
            var socket = sockaddr_in6()
            socket.sin6_family = sa_family_t(AF_INET6)
            socket.sin6_port = address.port.bigEndian
            withUnsafeMutableBytes(of: &socket.sin6_addr) { $0.copyBytes(from: ip.bytes) }
            self.init(socket, host: "")
        }
    }
}

extension EndpointAddress {
    /// The endpoint address of an IP socket address; nil for a Unix-domain one.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let socket):
            self.init(
                .v4(IPv4Address(UInt32(bigEndian: socket.address.sin_addr.s_addr))),
                port: UInt16(bigEndian: socket.address.sin_port))
        case .v6(let socket):
            let bytes = withUnsafeBytes(of: socket.address.sin6_addr) { Array($0) }
            self.init(.v6(IPv6Address(bytes: bytes)), port: UInt16(bigEndian: socket.address.sin6_port))
        case .unixDomainSocket:
            return nil
        }
    }
}
