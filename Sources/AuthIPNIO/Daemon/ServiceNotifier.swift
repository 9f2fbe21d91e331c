import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The systemd notification protocol (`sd_notify`): state lines in one datagram to the Unix
/// socket named by NOTIFY_SOCKET (a path, or `@name` in the abstract namespace), so that a
/// `Type=notify` unit knows when the daemon is ready, reloading or stopping. Without
/// NOTIFY_SOCKET nothing is sent.
enum ServiceNotifier {
    /// Sends `lines` (such as `READY=1`); failures are ignored, as sd_notify's callers do.
    static func notify(_ lines: String...) {
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], path.count > 1 else { return }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes[0] == 0 ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let message = Array(lines.joined(separator: "\n").utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, socketAddress, length) }
            }
        }
    }
}
