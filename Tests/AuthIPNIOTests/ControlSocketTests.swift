import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

/// The control protocol's parser: everything on the socket is checked before anything runs.
@Suite("The control protocol")
struct ControlRequestTests {
    @Test("Every request survives its own line, and the CLI's requests parse")
    func roundTrip() throws {
        let until = try #require(ControlTime.date("2027-01-31T18:00:00Z"))
        let requests: [ControlRequest] = [
            .listSAs(identity: WildcardPattern("*CLIENT1*"), remote: IPAddress("2001:db8::1"), quick: true),
            .listSAs(identity: nil, remote: nil, quick: false), .removeSAs(identity: WildcardPattern("CORP\\*")),
            .removeSAs(identity: nil), .block(pattern: WildcardPattern("*CLIENT1*")!, until: until, reason: "stolen"),
            .block(pattern: WildcardPattern("alice")!, until: nil, reason: nil),
            .unblock(pattern: WildcardPattern("alice")!), .listBlocks, .status, .listCRLs,
            .importCRL(path: "/var/lib/authip/root.crl"), .purgeCRLs(at: until), .purgeCRLs(at: nil),
        ]
        for request in requests { #expect(try ControlRequest(line: request.line) == request, "\(request.line)") }
    }

    @Test(
        "Bad requests are refused with a reason naming what is wrong",
        arguments: [
            ("", "not JSON"), ("{\"version\": 1", "not JSON"), ("[1]", "not a JSON object"),
            ("{\"command\": \"status\"}", "\"version\" is missing"),
            ("{\"version\": 2, \"command\": \"status\"}", "version 2 is not spoken"),
            ("{\"version\": 1}", "\"command\" is missing"),
            ("{\"version\": 1, \"command\": 7}", "\"command\" is missing"),
            ("{\"version\": 1, \"command\": \"reboot\"}", "unknown command \"reboot\""),
            ("{\"version\": 1, \"command\": \"status\", \"all\": true}", "status takes no \"all\""),
            ("{\"version\": 1, \"version\": 1, \"command\": \"status\"}", "\"version\" is given twice"),
            ("{\"version\": 1, \"command\": \"sa-list\", \"quick\": \"yes\"}", "\"quick\" is not true or false"),
            (
                "{\"version\": 1, \"command\": \"sa-list\", \"remote\": \"10.0.0.300\"}",
                "\"remote\" is not an IP address"
            ),
            ("{\"version\": 1, \"command\": \"sa-list\", \"identity\": 5}", "\"identity\" is not a string"),
            ("{\"version\": 1, \"command\": \"sa-list\", \"identity\": \"[z-a]\"}", "is not a -like pattern"),
            ("{\"version\": 1, \"command\": \"sa-remove\"}", "either \"identity\" or \"all\""),
            ("{\"version\": 1, \"command\": \"sa-remove\", \"identity\": \"x\", \"all\": true}", "either"),
            ("{\"version\": 1, \"command\": \"block-add\"}", "block-add needs \"pattern\""),
            ("{\"version\": 1, \"command\": \"block-add\", \"pattern\": \"\"}", "must be 1 to 1024 bytes"),
            ("{\"version\": 1, \"command\": \"block-add\", \"pattern\": \"a\\nb\"}", "without control characters"),
            ("{\"version\": 1, \"command\": \"block-add\", \"pattern\": \"x\", \"until\": \"tomorrow\"}", "RFC 3339"),
            ("{\"version\": 1, \"command\": \"crl-import\", \"path\": \"root.crl\"}", "an absolute path"),
            ("{\"version\": 1, \"command\": \"crl-purge\", \"at\": 5}", "\"at\" is not a string"),
        ])
    func refused(_ line: String, _ reason: String) {
        #expect(throws: ControlRequest.Refusal.self) { try ControlRequest(line: line) }
        do {
            _ = try ControlRequest(line: line)
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    @Test("A line past the limit is refused before it is parsed")
    func tooLong() {
        let line = "{\"version\": 1, \"command\": \"status\", \"x\": \"" + String(repeating: "a", count: 20_000) + "\"}"
        #expect(throws: ControlRequest.Refusal.self) { try ControlRequest(line: line) }
    }
}

@Suite("The stored block list")
struct BlockListStoreTests {
    @Test("Saved and loaded again; a file that is not a block list is an error, not an empty list")
    func roundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authip-blocks-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = BlockListStore(directory: directory)
        #expect(try store.load().isEmpty)
        let entries = [
            BlockListStore.Entry(
                pattern: WildcardPattern("*CLIENT1*")!, until: ControlTime.date("2027-01-31T18:00:00Z"),
                reason: "stolen", added: ControlTime.date("2026-12-07T10:00:00Z")!),
            BlockListStore.Entry(
                pattern: WildcardPattern("alice")!, until: nil, reason: nil,
                added: ControlTime.date("2026-12-07T11:00:00Z")!),
        ]
        try store.save(entries)
        #expect(try store.load() == entries)
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: store.path + ".tmp"))
        for corrupt in ["", "{\"version\": 2, \"blocks\": []}", "{\"version\": 1, \"blocks\": [{\"pattern\": \"x\"}]}"]
        {
            try corrupt.write(toFile: store.path, atomically: true, encoding: .utf8)
            #expect(throws: BlockListStore.Failure.self) { try store.load() }
        }
    }
}

/// `authip sa`, `authip block` and `authip status` against a real `authip responder` on
/// loopback, an initiator connected to it.
@Suite("The control socket of a running daemon", .serialized)
struct ControlSocketTests {
    /// A folder only this user may write to, with the loopback configurations, the responder's
    /// with a control socket and a state directory.
    static func setUp() throws -> (directory: URL, socket: String, responder: URL, initiator: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authip-control-\(UUID())")
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let (_, responder, initiator) = try LoopbackConfiguration.write(.certificate(), in: directory)
        let socket = directory.appendingPathComponent("control").path
        var text = try String(contentsOf: responder, encoding: .utf8)
        text =
            "{\"controlSocket\": \"\(socket)\", \"stateDirectory\": \"\(directory.path)/state\", "
            + "\"metrics\": {\"listen\": \"127.0.0.1:0\"}, \"logLevel\": \"debug\", " + text.dropFirst()
        try text.write(to: responder, atomically: true, encoding: .utf8)
        return (directory, socket, responder, initiator)
    }

    /// Runs `authip` with these arguments to its end: its status and output.
    static func authip(
        _ arguments: [String], in directory: URL
    ) throws -> (status: Int32?, output: String, error: String) {
        let run = try ChildProcess(
            "cli-\(UUID())", executable: ChildProcess.authip, arguments: arguments, in: directory)
        let status = run.waitForExit(seconds: 20)
        return (status, run.standardOutput, run.standardError)
    }

    static func startResponder(
        _ configuration: URL, in directory: URL, notifySocket: String? = nil
    ) throws -> ChildProcess {
        let responder = try ChildProcess(
            "responder-\(UUID())", executable: ChildProcess.authip,
            arguments: ["responder", "--config", configuration.path, "--duration", "60"], in: directory,
            environment: notifySocket.map { ["NOTIFY_SOCKET": $0] } ?? [:])
        try #require(
            responder.waitForError(containing: "control socket", seconds: 10), "responder: \(responder.standardError)")
        return responder
    }

    /// A plain HTTP/1.0 GET of `url` (`http://HOST:PORT/PATH`, numeric IPv4): its status and body.
    static func httpGet(_ url: String) throws -> (Int, String) {
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let hostPort = rest[..<slash].split(separator: ":")
        let path = rest[slash...].isEmpty ? "/" : String(rest[slash...])
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(hostPort[1])!.bigEndian
        address.sin_addr.s_addr = inet_addr(String(hostPort[0]))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0, "cannot connect to \(url)")
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(hostPort[0])\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += chunk[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// Polls `authip status --json` until `check` holds for its result.
    static func waitForStatus(
        _ socket: String, in directory: URL, seconds: Double = 10, _ check: (JSONValue) -> Bool
    ) throws -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            let line = try? ControlClient.send(.status, to: socket)
            if let line, let result = try? JSONValue(parsing: line)["result"], check(result) { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    @Test(
        "As root with user nobody: the ports stay, the process is nobody's for good, the block list is still written",
        .enabled(if: getuid() == 0))
    func privilegeDrop() throws {
        let directory = URL(fileURLWithPath: "/tmp/authip-drop-\(UUID())")
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: directory) }
        let (_, responderConfiguration, initiatorConfiguration) = try LoopbackConfiguration.write(
            .certificate(), in: directory)
        let socket = directory.appendingPathComponent("control").path
        var text = try String(contentsOf: responderConfiguration, encoding: .utf8)
        text =
            "{\"controlSocket\": \"\(socket)\", \"stateDirectory\": \"\(directory.path)/state\", "
            + "\"user\": \"nobody\", " + text.dropFirst()
        try text.write(to: responderConfiguration, atomically: true, encoding: .utf8)
        let responder = try Self.startResponder(responderConfiguration, in: directory)
        defer { responder.terminate() }
        try #require(responder.waitForError(containing: "running as nobody", seconds: 10), "\(responder.standardError)")
        let status = try String(contentsOfFile: "/proc/\(responder.pid)/status", encoding: .utf8)
        let nobody = "\t65534\t65534\t65534\t65534"
        #expect(status.contains("Uid:" + nobody) && status.contains("Gid:" + nobody), "\(status)")
        #expect(status.contains("Groups:\t65534") || status.contains("Groups:\t\n"), "\(status)")

        let initiator = try ChildProcess(
            "initiator", executable: ChildProcess.authip,
            arguments: ["initiator", "--config", initiatorConfiguration.path, "--duration", "30"], in: directory)
        defer { initiator.terminate() }
        try #require(
            Self.waitForStatus(socket, in: directory) { $0["quickModeSAs"]?.integerValue == 1 },
            "responder: \(responder.standardError)\ninitiator: \(initiator.standardError)")
        let block = try Self.authip(["block", "add", "*CLIENT1*", "--control", socket], in: directory)
        #expect(block.status == 0, "\(block.error)")
        let stored = try FileManager.default.attributesOfItem(atPath: directory.path + "/state/blocklist.json")
        #expect((stored[.ownerAccountID] as? Int) == 65534)
    }

    @Test("sa list, block add / list / remove, sa remove; the block survives kill -9; bad requests are refused")
    func adminDay() throws {
        let (directory, socket, responderConfiguration, initiatorConfiguration) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: directory) }
        var responder = try Self.startResponder(responderConfiguration, in: directory)
        let attributes = try FileManager.default.attributesOfItem(atPath: socket)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let initiator = try ChildProcess(
            "initiator", executable: ChildProcess.authip,
            arguments: ["initiator", "--config", initiatorConfiguration.path, "--duration", "30"], in: directory)
        defer { initiator.terminate() }
        try #require(
            Self.waitForStatus(socket, in: directory) { $0["quickModeSAs"]?.integerValue == 1 },
            "responder: \(responder.standardError)\ninitiator: \(initiator.standardError)")
        // Diagnostics at debug: each datagram with its negotiation's cookies, each SA.
        let diagnostics = responder.standardError.split(separator: "\n")
        #expect(
            diagnostics.contains { $0.hasPrefix("received ") && $0.contains(" icookie=") && $0.contains(" peer=") },
            "\(responder.standardError)")
        #expect(diagnostics.contains { $0.hasPrefix("sending ") && $0.contains(" rcookie=") })
        #expect(diagnostics.contains { $0.hasPrefix("installing SA ") && $0.contains(" spi=") })
        // status: the Main Mode that ended is counted in the last minute's rate; no download and
        // no directory call was needed.
        let figures = try JSONValue(parsing: try ControlClient.send(.status, to: socket))["result"]
        #expect((figures?["negotiationsPerSecond"]?.doubleValue ?? 0) > 0, "\(String(describing: figures))")
        #expect(figures?["failedNegotiationsPerSecond"]?.doubleValue == 0)
        #expect(figures?["crlDownloads"]?["succeeded"]?.integerValue == 0)
        #expect(figures?["directory"]?["failed"]?.integerValue == 0)

        // Prometheus: the SA gauges and the negotiations counted by outcome.
        let metricsURL = try #require(
            responder.standardError.split(separator: "\n").first { $0.hasPrefix("metrics on http://") }?
                .dropFirst("metrics on ".count))
        let (_, scrape) = try Self.httpGet(String(metricsURL))
        #expect(scrape.contains("authip_main_mode_sas 1"), "\(scrape)")
        #expect(
            scrape.contains("authip_negotiations_total{exchange=\"quick_mode\",outcome=\"established\""), "\(scrape)")
        #expect(
            scrape.contains("authip_main_mode_setup_seconds_count{result=\"established\"} 1"), "\(scrape)")
        #expect(try Self.httpGet(String(metricsURL).replacingOccurrences(of: "/metrics", with: "/other")).0 == 404)

        let list = try Self.authip(["sa", "list", "--control", socket, "--quick"], in: directory)
        #expect(list.status == 0, "\(list.error)")
        #expect(list.output.contains("Main Mode SA at") && list.output.contains("Quick Mode SA at"), "\(list.output)")
        #expect(list.output.contains("Remote IP Address") && list.output.contains("127.0.0.2"))
        let filtered = try Self.authip(
            ["sa", "list", "--control", socket, "--identity", "*nobody*", "--json"], in: directory)
        let none = try JSONValue(parsing: filtered.output)
        #expect(none["mainModeSAs"]?.arrayValue?.isEmpty == true, "\(filtered.output)")
        let byAddress = try Self.authip(
            ["sa", "list", "--control", socket, "--remote", "127.0.0.2", "--json"], in: directory)
        #expect(try JSONValue(parsing: byAddress.output)["mainModeSAs"]?.arrayValue?.count == 1)

        // reload: refused for a broken file and for a changed port, the SAs untouched; a
        // second rule added keeps them.
        let original = try String(contentsOf: responderConfiguration, encoding: .utf8)
        for (text, reason) in [
            ("{\"computerName\": ", "not JSON"),
            (original.replacing(#/"port": (\d+)/#) { "\"port\": \(Int($0.1)! - 1)" }, "port changed"),
        ] {
            try text.write(to: responderConfiguration, atomically: true, encoding: .utf8)
            let refused = try Self.authip(["reload", "--control", socket], in: directory)
            #expect(refused.status == 1 && refused.error.contains(reason), "\(refused.error)")
            #expect(refused.error.contains("the running configuration is kept"))
        }
        let twoRules = original.replacingOccurrences(
            of: "\"rules\": [",
            with: """
                "rules": [{"name": "Another", "local": "127.0.0.1", "remote": "10.9.9.9", "authentication": [{"method": "anonymous"}]},
                """)
        try twoRules.write(to: responderConfiguration, atomically: true, encoding: .utf8)
        let reloaded = try Self.authip(["reload", "--control", socket, "--json"], in: directory)
        #expect(reloaded.status == 0, "\(reloaded.error)")
        let counts = try JSONValue(parsing: reloaded.output)
        #expect(counts["rules"]?.integerValue == 2 && counts["mainModeSAs"]?.integerValue == 1, "\(reloaded.output)")
        try original.write(to: responderConfiguration, atomically: true, encoding: .utf8)

        // A stolen laptop: blocked until a date, its SAs gone at once.
        let until = ControlTime.text(Date(timeIntervalSinceNow: 86_400 * 30))
        let block = try Self.authip(
            ["block", "add", "*CLIENT1*", "--until", until, "--reason", "stolen", "--control", socket], in: directory)
        #expect(block.status == 0 && block.output.contains("1 Main Mode SAs removed"), "\(block.output)\(block.error)")
        #expect(try Self.waitForStatus(socket, in: directory, seconds: 1) { $0["mainModeSAs"]?.integerValue == 0 })
        let past = try Self.authip(
            ["block", "add", "x", "--until", "2020-01-01T00:00:00Z", "--control", socket], in: directory)
        #expect(past.status == 1 && past.error.contains("not in the future"), "\(past.error)")

        // kill -9, then a new daemon: the block is still there (the stale socket replaced).
        responder.killHard()
        _ = responder.waitForExit(seconds: 5)
        let notifications = try NotifySocket(path: directory.appendingPathComponent("notify").path)
        responder = try Self.startResponder(responderConfiguration, in: directory, notifySocket: notifications.path)
        #expect(notifications.receive()?.hasPrefix("READY=1\n") == true)
        #expect(responder.standardError.contains("restored 1 blocks"), "\(responder.standardError)")
        let blocks = try Self.authip(["block", "list", "--control", socket], in: directory)
        #expect(blocks.status == 0 && blocks.output.contains("*CLIENT1*") && blocks.output.contains("stolen"))
        #expect(blocks.output.contains(until), "\(blocks.output)")

        let lift = try Self.authip(["block", "remove", "*CLIENT1*", "--control", socket], in: directory)
        #expect(lift.status == 0, "\(lift.error)")
        let again = try Self.authip(["block", "remove", "*CLIENT1*", "--control", socket], in: directory)
        #expect(again.status == 1 && again.error.contains("is not blocked"), "\(again.error)")
        let empty = try Self.authip(["block", "list", "--control", socket], in: directory)
        #expect(empty.output == "No blocks.\n")
        let removed = try Self.authip(["sa", "remove", "--all", "--control", socket], in: directory)
        #expect(removed.status == 0 && removed.output.hasPrefix("Removed 0 Main Mode SAs"), "\(removed.output)")

        // SIGHUP reloads too: the rule renamed, so what it carried would go.
        try original.replacingOccurrences(of: "Loopback clients", with: "Loopback clients, renamed")
            .write(to: responderConfiguration, atomically: true, encoding: .utf8)
        responder.deliver(SIGHUP)
        #expect(notifications.receive() == "RELOADING=1")
        #expect(notifications.receive() == "READY=1\nSTATUS=reloaded")
        #expect(responder.waitForError(containing: "reloaded ", seconds: 10), "\(responder.standardError)")

        // The live CRL cache: import, list, purge through the daemon.
        let crl = TestVectors.directory.appendingPathComponent("pki/tls/root.crl").path
        let imported = try Self.authip(["crl", "import", "--control", socket, crl], in: directory)
        #expect(imported.status == 0 && imported.output.hasPrefix("imported "), "\(imported.output)\(imported.error)")
        let crls = try Self.authip(["crl", "list", "--control", socket], in: directory)
        #expect(crls.output.contains("file://\(crl)"), "\(crls.output)")
        let missing = try Self.authip(["crl", "import", "--control", socket, "/nonexistent.crl"], in: directory)
        #expect(missing.status == 1 && missing.error.contains("cannot be read"), "\(missing.error)")
        let purged = try Self.authip(
            ["crl", "purge", "--control", socket, "--at", "2100-01-01T00:00:00Z"], in: directory)
        #expect(purged.output == "purged 1 expired CRLs\n", "\(purged.output)\(purged.error)")
        let both = try Self.authip(["crl", "list", "--control", socket, "--crl-cache", "/tmp"], in: directory)
        #expect(both.status == 2)

        // Garbage on the socket: an error line; the daemon goes on answering.
        let garbage = try ControlClient.exchange("\u{1}\u{2}not json", path: socket)
        #expect(try JSONValue(parsing: garbage)["ok"] == .bool(false))
        let long = try? ControlClient.exchange(String(repeating: "x", count: 40_000), path: socket)
        #expect(long.map { $0.contains("longer than") } ?? true)
        let status = try Self.authip(["status", "--control", socket], in: directory)
        #expect(status.status == 0 && status.output.contains("mainModeSAs"), "\(status.error)")
        responder.terminate()
        #expect(notifications.receive() == "STOPPING=1")
        #expect(responder.waitForExit(seconds: 10) == 0)
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test("A control socket in a directory others may write to is refused at start; no daemon: exit 1")
    func refusedDirectory() throws {
        let (directory, socket, responderConfiguration, _) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        let responder = try ChildProcess(
            "responder", executable: ChildProcess.authip,
            arguments: ["responder", "--config", responderConfiguration.path, "--duration", "5"], in: directory)
        #expect(responder.waitForExit(seconds: 10) == 1)
        #expect(responder.standardError.contains("writable by others"), "\(responder.standardError)")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        let status = try Self.authip(["status", "--control", socket], in: directory)
        #expect(status.status == 1 && status.error.contains("cannot reach the daemon"), "\(status.error)")
    }
}

/// A Unix datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifySocket {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0, "cannot bind \(path)")
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next notification, or nil after 10 s.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }
}
