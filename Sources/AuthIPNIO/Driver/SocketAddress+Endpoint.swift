import AuthIPWire
import NIOCore

extension SocketAddress {
    /// The socket address of an endpoint address.
    init(_ address: EndpointAddress) throws {
        try self.init(ipAddress: address.ip.description, port: Int(address.port))
    }
}

extension EndpointAddress {
    /// The endpoint address of an IP socket address; nil for a Unix-domain one.
    init?(_ address: SocketAddress) {
        guard let text = address.ipAddress, let ip = IPAddress(text),
            let port = address.port.flatMap(UInt16.init(exactly:))
        else {
            return nil
        }
        self.init(ip, port: port)
    }
}
