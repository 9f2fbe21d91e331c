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

    /// Serves the files of `directory`, and these variations of a file's path:
    /// `/redirect/N/FILE` (302 to `/redirect/N-1/FILE`, then to `/FILE`),
    /// `/redirect-absolute/FILE` (301 to the full `http://` URL), `/redirect-file/FILE` (302 to
    /// `file:///FILE`), `/chunked/FILE` (chunked transfer coding), `/close-delimited/FILE` (no
    /// length: the body ends when the connection closes) and `/truncated/FILE` (a length 100
    /// bytes longer than what is sent).
    func respond(to path: String) -> [UInt8] {
        let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
        let route = parts.first ?? ""
        let rest = parts.count > 1 ? parts[1] : ""
        switch route {
        case "redirect":
            let step = rest.split(separator: "/", maxSplits: 1).map(String.init)
            guard step.count == 2, let left = Int(step[0]) else { return Self.status("400 Bad Request") }
            let location = left > 0 ? "/redirect/\(left - 1)/\(step[1])" : "/\(step[1])"
            return Self.status("302 Found", location: location)
        case "redirect-absolute":
            return Self.status("301 Moved Permanently", location: "http://127.0.0.1:\(port)/\(rest)")
        case "redirect-file":
            return Self.status("302 Found", location: "file:///\(rest)")
        case "chunked", "close-delimited", "truncated":
            guard let data = file(rest) else { return Self.status("404 Not Found") }
            switch route {
            case "chunked":
                var body: [UInt8] = []
                for start in stride(from: 0, to: data.count, by: 1000) {
                    let chunk = data[start..<min(start + 1000, data.count)]
                    body += Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + [13, 10]
                }
                return Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + body
                    + Array("0\r\n\r\n".utf8)
            case "close-delimited":
                return Array("HTTP/1.0 200 OK\r\n\r\n".utf8) + data
            default:
                return Array("HTTP/1.0 200 OK\r\nContent-Length: \(data.count + 100)\r\n\r\n".utf8) + data
            }
        default:
            guard let data = file(path) else { return Self.status("404 Not Found") }
            return Array(
                "HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: \(data.count)\r\n\r\n".utf8)
                + data
        }
    }

    private func file(_ path: String) -> [UInt8]? {
        guard !path.contains("..") else { return nil }
        return FileManager.default.contents(
            atPath: directory.appendingPathComponent(String(path.drop { $0 == "/" })).path
        )
        .map(Array.init)
    }

    private static func status(_ status: String, location: String? = nil) -> [UInt8] {
        Array("HTTP/1.0 \(status)\r\n\(location.map { "Location: \($0)\r\n" } ?? "")Content-Length: 0\r\n\r\n".utf8)
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
            let response = respond(to: path)
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
