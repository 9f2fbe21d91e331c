import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Two UDP ports (the IKE and NAT-T ports of a test) free on both 127.0.0.1 and 127.0.0.2, so
/// that an initiator and a responder can use the same ports on their own addresses.
struct LoopbackPorts {
    var ike: UInt16
    var natTraversal: UInt16

    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "no pair of UDP ports is free on both 127.0.0.1 and 127.0.0.2" }
    }

    /// Ports the kernel picks on 127.0.0.1, kept when 127.0.0.2 can bind them too.
    static func pick() throws -> LoopbackPorts {
        for _ in 0..<20 {
            let first = Socket(), second = Socket()
            guard let ike = first.bind("127.0.0.1", port: 0), let natTraversal = second.bind("127.0.0.1", port: 0),
                Socket().bind("127.0.0.2", port: ike) != nil, Socket().bind("127.0.0.2", port: natTraversal) != nil
            else { continue }
            return LoopbackPorts(ike: ike, natTraversal: natTraversal)
        }
        throw Unavailable()
    }
}

/// A UDP socket, closed when released.
private final class Socket {
    private let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)

    deinit { close(descriptor) }

    /// Binds to `address:port` (0: any free port) and returns the port bound, or nil.
    func bind(_ address: String, port: UInt16) -> UInt16? {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                Glibc.bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        return bound ? UInt16(bigEndian: socketAddress.sin_port) : nil
    }
}
