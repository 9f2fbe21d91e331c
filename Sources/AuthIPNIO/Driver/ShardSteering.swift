import AuthIP
import AuthIPWire
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The kernel's half of a `ShardedDriver`: every shard has its own sockets in one
/// `SO_REUSEPORT` group per address and port, and a classic BPF program on the group computes
/// `EndpointShard.index(ofInitiatorCookie:)` from the datagram's first bytes, so that each
/// datagram arrives on its shard's socket and is read on its shard's thread. (A datagram the
/// program cannot place, too short to have a cookie, is routed by the driver.)
enum ShardSteering {
    /// A UDP socket bound to `local` in its `SO_REUSEPORT` group, with `options`; with
    /// `steering`, the group's program for that shard count and key, reading the cookie after
    /// the framing's marker.
    static func socket(
        bound local: EndpointAddress, options: [SocketOptionSetting],
        steering: (EndpointShard, DatagramFraming)?
    ) throws(SocketFailure) -> CInt {
        let family: Int32
        if case .v4 = local.ip { family = AF_INET } else { family = AF_INET6 }
        let descriptor = Glibc.socket(
            family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketFailure(call: "socket", errno: errno) }
        do {
            try set(descriptor, SOL_SOCKET, SO_REUSEPORT, 1)
            for option in options { try set(descriptor, option.level, option.name, option.value) }
            if let (shard, framing) = steering {
                var filters = program(shards: shard.count, key: shard.key, offset: framing == .nonESPMarker ? 4 : 0)
                let attached = filters.withUnsafeMutableBufferPointer { buffer in
                    var program = sock_fprog(len: UInt16(buffer.count), filter: buffer.baseAddress)
                    return setsockopt(
                        descriptor, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program,
                        socklen_t(MemoryLayout<sock_fprog>.size))
                }
                guard attached == 0 else { throw SocketFailure(call: "SO_ATTACH_REUSEPORT_CBPF", errno: errno) }
            }
            let address = try SocketAddress(local)
            let bound = address.withSockAddr { Glibc.bind(descriptor, $0, socklen_t($1)) }
            guard bound == 0 else { throw SocketFailure(call: "bind", errno: errno) }
            return descriptor
        } catch let failure as SocketFailure {
            close(descriptor)
            throw failure
        } catch {
            close(descriptor)
            throw SocketFailure(call: "\(error)", errno: 0)
        }
    }

    private static func set(_ descriptor: CInt, _ level: Int32, _ name: Int32, _ value: Int32) throws(SocketFailure) {
        var value = value
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SocketFailure(call: "setsockopt(\(level), \(name))", errno: errno)
        }
    }

    /// The program: `EndpointShard.index(ofInitiatorCookie:count:key:)` over the big-endian
    /// cookie at `offset` of the UDP payload; the result is the socket's index in the group.
    static func program(shards: Int, key: UInt64, offset: UInt32) -> [sock_filter] {
        let (first, second) = EndpointShard.keyHalves(key)
        let (multiplyFirst, multiplySecond) = EndpointShard.multipliers
        func statement(_ code: Int32, _ k: UInt32) -> sock_filter {
            sock_filter(code: UInt16(code), jt: 0, jf: 0, k: k)
        }
        let load = BPF_LD | BPF_W | BPF_ABS, alu = BPF_ALU, constant = BPF_K
        return [
            statement(load, offset),  // A = cookie's high half
            statement(alu | BPF_XOR | constant, first),
            statement(alu | BPF_MUL | constant, multiplyFirst),
            statement(BPF_ST, 0),  // M[0] = A
            statement(load, offset + 4),  // A = low half
            statement(alu | BPF_XOR | constant, second),
            statement(BPF_MISC | BPF_TAX, 0),  // X = A
            statement(BPF_LD | BPF_MEM, 0),  // A = M[0]
            statement(alu | BPF_XOR | BPF_X, 0),
            statement(alu | BPF_MUL | constant, multiplySecond),
            statement(BPF_ST, 0),
            statement(alu | BPF_RSH | constant, 16),
            statement(BPF_MISC | BPF_TAX, 0),
            statement(BPF_LD | BPF_MEM, 0),
            statement(alu | BPF_XOR | BPF_X, 0),
            statement(alu | BPF_MOD | constant, UInt32(shards)),
            statement(BPF_RET | BPF_A, 0),
        ]
    }

    // linux/filter.h, which Glibc does not bring in: the instruction and program layouts and
    // the classic BPF opcodes.
    struct sock_filter {
        var code: UInt16
        var jt: UInt8
        var jf: UInt8
        var k: UInt32
    }

    struct sock_fprog {
        var len: UInt16
        var filter: UnsafeMutablePointer<sock_filter>?
    }

    static let SO_ATTACH_REUSEPORT_CBPF: Int32 = 51
    static let BPF_LD: Int32 = 0x00, BPF_ST: Int32 = 0x02, BPF_ALU: Int32 = 0x04, BPF_RET: Int32 = 0x06
    static let BPF_MISC: Int32 = 0x07, BPF_W: Int32 = 0x00, BPF_ABS: Int32 = 0x20, BPF_MEM: Int32 = 0x60
    static let BPF_MUL: Int32 = 0x20, BPF_RSH: Int32 = 0x70, BPF_MOD: Int32 = 0x90, BPF_XOR: Int32 = 0xa0
    static let BPF_K: Int32 = 0x00, BPF_X: Int32 = 0x08, BPF_A: Int32 = 0x10, BPF_TAX: Int32 = 0x00

    /// A socket call that failed, with its errno.
    struct SocketFailure: Error, CustomStringConvertible {
        var call: String
        var errno: Int32
        var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
    }
}
