import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Downloads CRL distribution points for a driver: `http://` URLs only (HTTP/1.0 GET, no
/// redirects), with a time limit and a size limit. Any other scheme (`file://` above all: a
/// certificate must not make the server open local paths) is refused. The validation itself
/// never downloads; it asks, and the driver answers with what this returns.
public struct CRLFetcher: Sendable {
    public var timeout: Duration
    public var maximumSize: Int

    public init(timeout: Duration = .seconds(15), maximumSize: Int = 64 << 20) {
        self.timeout = timeout
        self.maximumSize = maximumSize
    }

    /// Every URL's result.
    public func fetch(_ urls: [String]) -> [String: CRLDownload] {
        Dictionary(urls.map { ($0, fetch($0)) }, uniquingKeysWith: { first, _ in first })
    }

    public func fetch(_ url: String) -> CRLDownload {
        guard let target = HTTPTarget(url) else { return .failed("unsupported URL") }
        return get(target)
    }

    private func get(_ target: HTTPTarget) -> CRLDownload {
        let deadline = ContinuousClock.now + timeout
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(target.host, String(target.port), &hints, &list) == 0, let first = list else {
            return .failed("cannot resolve \(target.host)")
        }
        defer { freeaddrinfo(list) }
        var lastFailure = "unreachable"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            switch connect(fd, info, deadline: deadline) {
            case .failure(let reason):
                lastFailure = reason
                continue
            case .success:
                return exchange(fd, target, deadline: deadline)
            }
        }
        return .failed(lastFailure)
    }

    private enum ConnectResult { case success, failure(String) }

    private func connect(
        _ fd: Int32, _ info: UnsafeMutablePointer<addrinfo>, deadline: ContinuousClock.Instant
    ) -> ConnectResult {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { return .failure(String(cString: strerror(errno))) }
            guard wait(fd, events: Int16(POLLOUT), deadline: deadline) else { return .failure("timed out connecting") }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { return .failure(String(cString: strerror(error))) }
        }
        return .success
    }

    private func wait(_ fd: Int32, events: Int16, deadline: ContinuousClock.Instant) -> Bool {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return false }
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let milliseconds = Int32(
            max(1, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
        return poll(&descriptor, 1, milliseconds) == 1
    }

    private func exchange(_ fd: Int32, _ target: HTTPTarget, deadline: ContinuousClock.Instant) -> CRLDownload {
        let request = Array(
            "GET \(target.path) HTTP/1.0\r\nHost: \(target.hostHeader)\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8
        )
        var sent = 0
        while sent < request.count {
            guard wait(fd, events: Int16(POLLOUT), deadline: deadline) else { return .failed("timed out sending") }
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return .failed("connection closed while sending") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let headerLimit = 64 * 1024
        while true {
            guard wait(fd, events: Int16(POLLIN), deadline: deadline) else { return .failed("timed out receiving") }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { return .failed(String(cString: strerror(errno))) }
            if n == 0 { break }
            response.append(contentsOf: buffer[0..<n])
            if response.count > maximumSize + headerLimit { return .failed("larger than \(maximumSize) bytes") }
        }
        return HTTPResponse.body(of: response, maximumSize: maximumSize)
    }
}

/// The parts of an `http://` URL that a GET needs.
struct HTTPTarget {
    var host: String
    var port: UInt16
    var path: String
    var hostHeader: String

    init?(_ url: String) {
        guard url.lowercased().hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
        hostHeader = String(authority)
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            port = after.hasPrefix(":") ? UInt16(after.dropFirst()) ?? 0 : 80
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = UInt16(authority[authority.index(after: colon)...]) ?? 0
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty, port != 0 else { return nil }
    }
}

/// Reads a whole HTTP/1.x response.
enum HTTPResponse {
    static func body(of response: [UInt8], maximumSize: Int) -> CRLDownload {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, response.count - 3)).first(where: { Array(response[$0..<$0 + 4]) == separator })
        else {
            return .failed("malformed HTTP response")
        }
        let head = String(decoding: response[0..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/1."), let status = Int(fields[1]) else {
            return .failed("malformed HTTP response")
        }
        guard status == 200 else { return .failed("HTTP \(status)") }
        let body = Array(response[(end + 4)...])
        guard body.count <= maximumSize else { return .failed("larger than \(maximumSize) bytes") }
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length",
                let length = Int(parts[1].trimmingCharacters(in: .whitespaces)), length != body.count
            {
                return .failed("truncated body (\(body.count) of \(length) bytes)")
            }
        }
        return .downloaded(body)
    }
}
