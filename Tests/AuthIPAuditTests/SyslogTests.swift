import AuthIPAudit
import AuthIPTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 5424 messages, checked against one written by hand and sent to real sockets.
@Suite("Syslog")
struct SyslogTests {
    /// The 4976 vector's record.
    static func invalidPacketRecord() throws -> AuditRecord {
        try #require(EventVectorTests.vectors.first { $0.record.event.descriptor.eventID == 4976 }).record
    }

    /// The syslog form of the 4976 vector, written by hand.
    static let expected4976 =
        "<109>1 2024-03-14T09:27:03.100000Z DA1.corp.contoso.com Microsoft-Windows-Security-Auditing 712 4976 "
        + "[System@32473 EventID=\"4976\" Version=\"0\" Task=\"12547\" Keywords=\"0x8020000000000000\" EventRecordID=\"120309\" "
        + "ActivityID=\"{5D7F9113-4E60-0001-C2D3-E4F506172839}\" ThreadID=\"2234\"]"
        + "[EventData@32473 LocalAddress=\"131.107.0.2\" RemoteAddress=\"198.51.100.23\" KeyModName=\"%%8222\"] \u{FEFF}"
        + "During main mode negotiation, IPsec received an invalid negotiation packet. If this problem persists, it could "
        + "indicate a network issue or an attempt to modify or replay this negotiation.\r\n\r\n"
        + "Local Network Address:\t131.107.0.2\r\nRemote Network Address:\t198.51.100.23\r\nKeying Module Name:\tIKEv1"

    @Test("A record becomes the RFC 5424 message written by hand")
    func format() throws {
        let message = try SyslogFormat().message(for: try Self.invalidPacketRecord())
        #expect(message == Array(Self.expected4976.utf8))
        #expect(message.starts(with: Array("<109>1 ".utf8)))
    }

    @Test("Facility, APP-NAME and enterprise number are the configuration's; no activity ID, no ActivityID parameter")
    func configured() throws {
        var recorder = AuditRecorder(origin: try Fixtures.origin())
        let record = try recorder.record(.keyingModulesNotStarted, at: AuditTime(nanosecondsSinceUnixEpoch: 0))
        let format = try SyslogFormat(facility: .authpriv, appName: "authipd", enterpriseNumber: 99999)
        let text = String(decoding: format.message(for: record), as: UTF8.self)
        #expect(
            text.hasPrefix(
                "<85>1 1970-01-01T00:00:00.000000Z DA1.corp.contoso.com authipd 712 5453 "
                    + "[System@99999 EventID=\"5453\" Version=\"0\" Task=\"12547\" Keywords=\"0x8020000000000000\" "
                    + "EventRecordID=\"1\" ThreadID=\"2244\"][EventData@99999] \u{FEFF}An IPsec negotiation"))
    }

    @Test("Severity: failures 4, problems Windows files as successes 5, successes 6")
    func severity() throws {
        #expect(SyslogFormat.severity(of: Fixtures.extendedModeFailed()) == 4)
        #expect(SyslogFormat.severity(of: Fixtures.mainModeFailed()) == 4)
        #expect(SyslogFormat.severity(of: .keyingModulesNotStarted) == 5)
        #expect(SyslogFormat.severity(of: try Self.invalidPacketRecord().event) == 5)
        #expect(SyslogFormat.severity(of: .dosPreventionModeChanged(.started)) == 6)
        let ended = AuditEvent.mainModeEnded(
            MainModeEnded(
                localAddress: Fixtures.server, remoteAddress: Fixtures.client, keyingModule: .authIP, saID: 1))
        #expect(SyslogFormat.severity(of: ended) == 6)
    }

    @Test("The sink sends one datagram per record to a UDP receiver on 127.0.0.1")
    func udp() throws {
        let receiver = try DatagramReceiver(family: AF_INET)
        let sink = try SyslogSink(destination: .udp(host: "127.0.0.1", port: receiver.port), format: SyslogFormat())
        let record = try Self.invalidPacketRecord()
        try sink.send(record)
        try sink.send(try Fixtures.record(Fixtures.extendedModeFailed(), id: 120322))
        #expect(try receiver.receive() == Array(Self.expected4976.utf8))
        let second = String(decoding: try receiver.receive(), as: UTF8.self)
        #expect(
            second.hasPrefix(
                "<108>1 2024-03-14T09:27:11.900000Z DA1.corp.contoso.com Microsoft-Windows-Security-Auditing 712 4984 ")
        )
        #expect(second.contains(" EventRecordID=\"120322\" "))
    }

    @Test("The sink sends to a Unix datagram socket")
    func unixDatagram() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("log").path
        let receiver = try DatagramReceiver(unixPath: path)
        let sink = try SyslogSink(destination: .unixDatagram(path: path), format: SyslogFormat())
        try sink.send(try Self.invalidPacketRecord())
        #expect(try receiver.receive() == Array(Self.expected4976.utf8))
    }
}

/// A bound datagram socket the test reads from, with a receive timeout so a lost datagram fails
/// the test instead of hanging it.
final class DatagramReceiver {
    let descriptor: Int32
    private(set) var port: UInt16 = 0

    struct Failure: Error { let call: String; let errno: Int32 }

    /// A UDP socket on 127.0.0.1 and a port the kernel picks.
    init(family: Int32) throws {
        descriptor = socket(family, Self.datagram, 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(descriptor, raw, length) == 0 else { throw Failure(call: "bind", errno: errno) }
                guard getsockname(descriptor, raw, &length) == 0 else {
                    throw Failure(call: "getsockname", errno: errno)
                }
            }
        }
        port = UInt16(bigEndian: address.sin_port)
        try setTimeout()
    }

    /// A Unix datagram socket bound to `unixPath`.
    init(unixPath: String) throws {
        descriptor = socket(AF_UNIX, Self.datagram, 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(unixPath.utf8)) }
        try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(descriptor, raw, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 else {
                    throw Failure(call: "bind", errno: errno)
                }
            }
        }
        try setTimeout()
    }

    deinit {
        close(descriptor)
    }

    func receive() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw Failure(call: "recv", errno: errno) }
        return Array(buffer[..<count])
    }

    private func setTimeout() throws {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        guard setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0
        else {
            throw Failure(call: "setsockopt", errno: errno)
        }
    }

    #if canImport(Glibc)
    private static let datagram = Int32(SOCK_DGRAM.rawValue)
    #else
    private static let datagram = SOCK_DGRAM
    #endif
}

/// Syslog over streams: octet-counted frames over TCP (RFC 6587) and TLS (RFC 5425), to a
/// receiver written here and to OpenSSL's own `s_server`.
@Suite("Syslog over TCP and TLS", .serialized)
struct SyslogStreamTests {
    /// A TCP receiver on 127.0.0.1 that keeps what each connection carried, and closes each
    /// connection after its first read when `closesAfterFirstRead`.
    final class Receiver: @unchecked Sendable {
        let port: UInt16
        let closesAfterFirstRead: Bool
        private let listener: Int32
        private let lock = NSLock()
        private var connections: [[UInt8]] = []

        init(closesAfterFirstRead: Bool = false) throws {
            self.closesAfterFirstRead = closesAfterFirstRead
            let (descriptor, port) = try LoopbackListener.bind()
            listener = descriptor
            self.port = port
            Thread { [self] in serve() }.start()
        }

        deinit { close(listener) }

        private func serve() {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                let index = lock.withLock {
                    connections.append([])
                    return connections.count - 1
                }
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                    guard n > 0 else { break }
                    lock.withLock { connections[index] += buffer[0..<n] }
                    if closesAfterFirstRead { break }
                }
                close(client)
            }
        }

        /// What each connection carried, waiting up to a second for `count` bytes in all.
        func received(atLeast count: Int) -> [[UInt8]] {
            for _ in 0..<100 {
                let now = lock.withLock { connections }
                if now.map(\.count).reduce(0, +) >= count { return now }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return lock.withLock { connections }
        }
    }

    static func framed(_ message: [UInt8]) -> [UInt8] { Array("\(message.count) ".utf8) + message }

    @Test("Each record is one octet-counted frame on one TCP connection")
    func tcp() throws {
        let receiver = try Receiver()
        let record = try SyslogTests.invalidPacketRecord()
        let sink = try SyslogSink(destination: .tcp(host: "127.0.0.1", port: receiver.port), format: SyslogFormat())
        try sink.send(record)
        try sink.send(record)
        let frame = Self.framed(Array(SyslogTests.expected4976.utf8))
        #expect(receiver.received(atLeast: 2 * frame.count) == [frame + frame])
    }

    @Test("A receiver that closed the connection gets the next record on a new one; none is down: a typed error")
    func reconnect() throws {
        let receiver = try Receiver(closesAfterFirstRead: true)
        let record = try SyslogTests.invalidPacketRecord()
        let sink = try SyslogSink(destination: .tcp(host: "127.0.0.1", port: receiver.port), format: SyslogFormat())
        let frame = Self.framed(Array(SyslogTests.expected4976.utf8))
        try sink.send(record)
        #expect(receiver.received(atLeast: frame.count) == [frame])
        Thread.sleep(forTimeInterval: 0.1)
        try sink.send(record)
        #expect(receiver.received(atLeast: 2 * frame.count) == [frame, frame])

        let nobody = try SyslogSink(destination: .tcp(host: "127.0.0.1", port: 1), format: SyslogFormat())
        #expect(throws: SyslogError.connect("Connection refused")) { try nobody.send(record) }
        // Within the retry interval the next record fails at once instead of waiting again.
        #expect(throws: SyslogError.connect("the receiver was unreachable less than 2.0 seconds ago")) {
            try nobody.send(record)
        }
    }

    /// Runs openssl(1) to its end.
    static func openssl(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
    }

    @Test("Over TLS to openssl s_server: the receiver's name is checked, then each record is a frame in the stream")
    func tls() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authip-syslog-tls-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.openssl(
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=logs.authip.test", "-addext", "subjectAltName=DNS:logs.authip.test",
                "-keyout", "key.pem", "-out", "cert.pem",
            ], in: directory)
        let port = try LoopbackListener.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", "cert.pem", "-key", "key.pem", "-quiet",
        ]
        server.currentDirectoryURL = directory
        let printed = directory.appendingPathComponent("received")
        FileManager.default.createFile(atPath: printed.path, contents: nil)
        server.standardOutput = try FileHandle(forWritingTo: printed)
        server.standardError = FileHandle.nullDevice
        server.standardInput = Pipe()
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)
            for _ in 0..<100 where server.isRunning { Thread.sleep(forTimeInterval: 0.02) }
        }
        Thread.sleep(forTimeInterval: 0.5)
        let record = try SyslogTests.invalidPacketRecord()
        let caFile = directory.appendingPathComponent("cert.pem").path

        let impostor = try SyslogSink(
            destination: .tls(
                host: "127.0.0.1", port: port, SyslogTLS(caFile: caFile, serverName: "other.authip.test")),
            format: SyslogFormat())
        #expect {
            try impostor.send(record)
        } throws: { error in
            guard case .tls(let reason) = error as? SyslogError else { return false }
            return reason.contains("hostname mismatch")
        }

        let sink = try SyslogSink(
            destination: .tls(host: "127.0.0.1", port: port, SyslogTLS(caFile: caFile, serverName: "logs.authip.test")),
            format: SyslogFormat())
        try sink.send(record)
        let frame = Self.framed(Array(SyslogTests.expected4976.utf8))
        // s_server prints what it receives.
        var received: [UInt8] = []
        let deadline = Date(timeIntervalSinceNow: 5)
        while received.count < frame.count, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            received = Array(FileManager.default.contents(atPath: printed.path) ?? Data())
        }
        #expect(received == frame)
    }
}
