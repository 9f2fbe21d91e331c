import AuthIPControl
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The admin side of the control socket: one request, one response line.
public enum ControlClient {
    /// Why a request got no answer.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Sends `request` to the daemon at `path` and returns its response line.
    public static func send(
        _ request: ControlRequest, to path: String, timeout: Duration = .seconds(30)
    )
        throws(Failure) -> String
    {
        try exchange(request.line, path: path, timeout: timeout)
    }

    /// Whether a daemon answers on `path`.
    static func answers(_ path: String) -> Bool {
        guard let fd = try? connect(path) else { return false }
        close(fd)
        return true
    }

    /// Sends one line as it is and reads one line back.
    public static func exchange(
        _ line: String, path: String, timeout: Duration = .seconds(30)
    ) throws(Failure)
        -> String
    {
        let fd = try connect(path)
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array((line + "\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, 0) }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else {
                throw Failure(description: "cannot send to \(path): \(String(cString: strerror(errno)))")
            }
            sent += result
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !response.contains(UInt8(ascii: "\n")) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw Failure(
                    description: count == 0
                        ? "the daemon at \(path) closed the connection"
                        : "no answer from \(path): \(String(cString: strerror(errno)))")
            }
            response += chunk[..<count]
            guard response.count <= 64 << 20 else { throw Failure(description: "the answer from \(path) is too long") }
        }
        let end = response.firstIndex(of: UInt8(ascii: "\n"))!
        return String(decoding: response[..<end], as: UTF8.self)
    }

    private static func connect(_ path: String) throws(Failure) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure(description: "\(path) is too long for a Unix socket path")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot make a socket: \(String(cString: strerror(errno)))") }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot reach the daemon at \(path): \(reason)")
        }
        return fd
    }
}
