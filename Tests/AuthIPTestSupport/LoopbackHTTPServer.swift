import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.0 file server on 127.0.0.1 for the CRL distribution point tests: it
/// answers GET /NAME with the file NAME of its directory, 404 otherwise, and lives as long
/// as the test process.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public let port: UInt16
    public let directory: URL

    /// The server of the distribution-point fixtures (TestVectors/pki/cdp/served on port
    /// 18931, the port their certificates name), started once per test process; nil when the
    /// port is taken.
    public static let distributionPoints: LoopbackHTTPServer? = try? LoopbackHTTPServer(
        port: 18931, directory: TestVectors.directory.appendingPathComponent("pki/cdp/served"))

    /// The server of the revocation-attack fixtures (TestVectors/pki/attacks/served on port
    /// 18933), started once per test process; nil when the port is taken.
    public static let attackDistributionPoints: LoopbackHTTPServer? = try? LoopbackHTTPServer(
        port: 18933, directory: TestVectors.directory.appendingPathComponent("pki/attacks/served"))

    private let listener: Int32
    private(set) var requests: [String] = []
    private let lock = NSLock()

    public init(port: UInt16, directory: URL) throws {
        self.port = port
        self.directory = directory
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// The request paths seen so far.
    public var requestedPaths: [String] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            let request = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
            let path = request.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            lock.lock()
            requests.append(path)
            lock.unlock()
            let file = directory.appendingPathComponent(String(path.drop { $0 == "/" }))
            var response: [UInt8]
            if !path.contains(".."), let data = FileManager.default.contents(atPath: file.path) {
                response =
                    Array(
                        "HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: \(data.count)\r\n\r\n"
                            .utf8) + Array(data)
            } else {
                response = Array("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8)
            }
            var sent = 0
            while sent < response.count {
                let m = response[sent...].withUnsafeBytes {
                    send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if m <= 0 { break }
                sent += m
            }
            close(client)
        }
    }
}
