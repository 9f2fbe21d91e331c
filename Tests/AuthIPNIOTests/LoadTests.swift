import AuthIPJSON
import AuthIPTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `authip load` at a small scale against `authip responder --shards 2`, both real processes,
/// in a network namespace of their own whose loopback takes every 6to4 address
/// (`ip -6 route add local 2002::/16 dev lo`), as scripts/load-bench.sh runs them.
@Suite(
    "authip load against a sharded responder", .serialized,
    .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "needs root"))
struct LoadTests {
    /// Runs `body` (shell) in a fresh namespace with a two-shard responder on the prepared
    /// files of `clients` clients; returns the directory, removed by the caller.
    static func run(clients: Int, serverSetting: String? = nil, _ body: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-load-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let authip = ChildProcess.authip.path
        let script = """
            set -u
            cd '\(directory.path)'
            ip link set lo up
            sysctl -qw net.ipv6.ip_nonlocal_bind=1
            ip -6 route add local 2002::/16 dev lo
            '\(authip)' load prepare . --clients \(clients) > prepare.out 2>&1 || exit 3
            \(serverSetting.map { "sed -i 's/\"dataPlane\": \"none\",/\"dataPlane\": \"none\", \($0),/' server.json" } ?? "")
            '\(authip)' responder --config server.json --shards 2 > server.out 2> server.err &
            responder=$!
            for i in $(seq 1 100); do grep -q 'control socket' server.err && break; sleep 0.1; done
            \(body)
            kill -TERM $responder
            wait $responder
            echo $? > server.status
            """
        let run = try ChildProcess(
            "namespace", executable: URL(fileURLWithPath: "/usr/bin/unshare"),
            arguments: ["--net", "bash", "-c", script.replacingOccurrences(of: "AUTHIP", with: authip)],
            in: directory)
        #expect(run.waitForExit(seconds: 120) == 0, "\(run.standardError)")
        return directory
    }

    static func read(_ name: String, in directory: URL) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    @Test(
        "Clients establish whole tunnels through a flood: one 4646 for both shards, none fails, the summary measures the responder"
    )
    func loadThroughFlood() throws {
        // DoS-cookie mode at 100 half-open negotiations, 50 a shard: a sanitizer's slow daemon
        // drops much of a fast flood at its socket.
        let directory = try Self.run(
            clients: 8, serverSetting: "\"denialOfServiceThreshold\": 100",
            """
            AUTHIP load --config client.json --rate 4 --duration 2 --flood 1200 --flood-sources 120 --flood-rate 800 \\
              --responder-pid $responder > load.json 2> load.err
            echo $? > load.status
            AUTHIP status --control server.sock --json > status.json
            cp server.out events-during-load.txt
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Self.read("load.json", in: directory)
        let summary = try JSONValue(parsing: text)
        #expect(
            Self.read("load.status", in: directory).hasPrefix("0"), "\(text) \(Self.read("load.err", in: directory))")
        #expect(summary["established"] == .integer(8) && summary["failed"] == .integer(0), "\(text)")
        #expect(summary["flood"]?["datagrams"] == .integer(1200), "\(text)")
        #expect((summary["setupMilliseconds"]?["p99"]?.doubleValue ?? 0) > 0, "\(text)")
        #expect((summary["responder"]?["cpuMicrosecondsPerTunnel"]?.doubleValue ?? 0) > 0, "\(text)")
        // The flood's half-open negotiations outlive the run: the mode is still on (its "stopped"
        // comes with the daemon's shutdown).
        let events = Self.read("events-during-load.txt", in: directory)
        #expect(
            events.components(separatedBy: " event 4646 ").count - 1 == 1,
            "DoS-cookie mode started once for the daemon: \(Self.read("server.err", in: directory).suffix(2_000))")
        let status = try JSONValue(parsing: Self.read("status.json", in: directory))
        #expect(status["denialOfServiceMode"] == .bool(true) && status["shards"]?.arrayValue?.count == 2, "\(status)")
        #expect(Self.read("server.status", in: directory).hasPrefix("0"))
    }

    @Test("Held tunnels stay up and are counted against the responder's memory; the shutdown leaves no SA")
    func heldTunnels() throws {
        let directory = try Self.run(
            clients: 8,
            """
            AUTHIP load --config client.json --rate 16 --duration 8 --hold 30 --responder-pid $responder \\
              > load.json 2> load.err &
            load=$!
            for i in $(seq 1 14); do
              sleep 0.5
              AUTHIP sa list --control server.sock --json > held.json
              grep -o '"role"' held.json | wc -l | grep -qx 8 && break
            done
            wait $load
            echo $? > load.status
            sleep 0.5
            AUTHIP sa list --control server.sock --json > after.json
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = Self.read("load.json", in: directory)
        let summary = try JSONValue(parsing: text)
        // Eight identities, all held: the other starts find them busy.
        #expect(summary["established"] == .integer(8) && summary["responder"]?["heldTunnels"] == .integer(8), "\(text)")
        #expect(summary["skipped"] == .integer(120), "\(text)")
        let held = try JSONValue(parsing: Self.read("held.json", in: directory))
        #expect(held["mainModeSAs"]?.arrayValue?.count == 8, "\(held)")
        let after = try JSONValue(parsing: Self.read("after.json", in: directory))
        #expect(after["mainModeSAs"]?.arrayValue?.isEmpty == true, "\(after)")
    }
}
