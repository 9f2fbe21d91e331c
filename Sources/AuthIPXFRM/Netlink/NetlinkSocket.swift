import CXFRM
import Glibc
import Synchronization

/// A `NETLINK_XFRM` socket: requests answered in order on one, or the kernel's multicast
/// notifications (ACQUIRE, EXPIRE) read from another. Opening one needs CAP_NET_ADMIN; a socket
/// opened before the daemon drops its privileges keeps working afterwards (the kernel checks
/// the opener's capabilities).
public final class NetlinkSocket: Sendable {
    private let descriptor: Int32
    private let sequence = Mutex<UInt32>(0)

    /// Opens a socket. `groups`: the multicast groups to listen to (`XFRMNLGRP_*` numbers);
    /// none for a request socket. `timeout`: how long a read may wait (nil: forever).
    public init(groups: [UInt32] = [], timeout: Duration? = .seconds(5)) throws(NetlinkError) {
        descriptor = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_XFRM)
        guard descriptor >= 0 else { throw .socket("socket", errno: errno) }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_groups = groups.reduce(0) { $0 | (1 << ($1 - 1)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw .socket("bind", errno: code)
        }
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        }
        // Room for bursts of notifications (many ACQUIREs at once) and large dumps.
        var size: Int32 = 4 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(descriptor) }

    /// Sends a change and waits for its acknowledgement; throws `refused` with the kernel's
    /// errno, naming `what`.
    public func perform(_ message: NetlinkMessage, _ what: String) throws(NetlinkError) {
        try exchange(message, what) { answer, _ throws(NetlinkError) in
            switch answer {
            case .acknowledged: return true
            case .refused(let code): throw .refused(what, errno: code)
            case .done, .other: return false
            }
        }
    }

    /// Sends a request whose answer is one message (a GETSA); throws `refused` on an error.
    public func query(_ message: NetlinkMessage, _ what: String) throws(NetlinkError) -> NetlinkMessage {
        var result: NetlinkMessage?
        try exchange(message, what) { answer, reply throws(NetlinkError) in
            switch answer {
            case .refused(let code): throw .refused(what, errno: code)
            case .acknowledged, .done: return true
            case .other:
                result = reply
                return true
            }
        }
        guard let result else { throw .malformed("\(what): acknowledged without an answer") }
        return result
    }

    /// Sends a dump request and collects every message until `NLMSG_DONE`.
    public func dump(_ message: NetlinkMessage, _ what: String) throws(NetlinkError) -> [NetlinkMessage] {
        var results: [NetlinkMessage] = []
        try exchange(message, what) { answer, reply throws(NetlinkError) in
            switch answer {
            case .refused(let code): throw .refused(what, errno: code)
            case .acknowledged, .done: return true
            case .other:
                results.append(reply)
                return false
            }
        }
        return results
    }

    /// Reads the next datagram's messages (a listening socket's notifications). Throws
    /// `timedOut` when the socket's timeout passes, `socket` with ENOBUFS when the kernel
    /// dropped notifications because the reader fell behind.
    public func receive() throws(NetlinkError) -> [NetlinkMessage] {
        try NetlinkMessage.parse(read("receive"))
    }

    private func exchange(
        _ message: NetlinkMessage, _ what: String,
        until finished: (NetlinkAnswer, NetlinkMessage) throws(NetlinkError) -> Bool
    ) throws(NetlinkError) {
        try sequence.withLock { (sequence: inout UInt32) throws(NetlinkError) in
            sequence &+= 1
            var request = message
            request.sequence = sequence
            let bytes = request.encoded
            var kernel = sockaddr_nl()
            kernel.nl_family = sa_family_t(AF_NETLINK)
            let sent = bytes.withUnsafeBytes { buffer in
                withUnsafePointer(to: &kernel) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(
                            descriptor, buffer.baseAddress, buffer.count, 0, $0,
                            socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
            guard sent == bytes.count else { throw .socket("send (\(what))", errno: errno) }
            while true {
                for reply in try NetlinkMessage.parse(read(what)) where reply.sequence == sequence {
                    if try finished(NetlinkAnswer(reply), reply) { return }
                }
            }
        }
    }

    private func read(_ what: String) throws(NetlinkError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(buffer[0..<count]) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(what) }
            throw .socket("receive (\(what))", errno: code)
        }
    }
}

/// Error numbers as text.
enum Errno {
    static func text(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
