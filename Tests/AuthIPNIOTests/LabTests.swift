import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import AuthIPTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `scripts/lab.sh`: a DirectAccess server daemon and a client daemon from `Examples/`, both
/// tunnels up by themselves, administered over their control sockets.
@Suite("scripts/lab.sh: both DirectAccess tunnels between two daemons", .serialized)
struct LabTests {
    static let repository = TestVectors.directory.deletingLastPathComponent()
    static let canRun =
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/krb5kdc")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

    /// Runs `scripts/lab.sh` with these arguments to its end.
    static func lab(_ arguments: [String], directory: URL, in folder: URL) throws -> (Int32?, String) {
        let run = try ChildProcess(
            "lab-\(UUID())", executable: URL(fileURLWithPath: "/bin/bash"),
            arguments: [repository.appendingPathComponent("scripts/lab.sh").path] + arguments, in: folder,
            environment: ["AUTHIP_LAB": directory.path, "AUTHIP": ChildProcess.authip.path])
        let status = run.waitForExit(seconds: 120)
        return (status, run.standardOutput + run.standardError)
    }

    /// The server's MM SAs, by `sa-list`, once `check` holds for them (or the last answer).
    static func mainModes(_ socket: String, seconds: Double, until check: ([JSONValue]) -> Bool) -> [JSONValue] {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var last: [JSONValue] = []
        while Date() < deadline {
            if let line = try? ControlClient.send(.listSAs(identity: nil, remote: nil, quick: false), to: socket),
                let sas = (try? JSONValue(parsing: line))?["result"]?["mainModeSAs"]?.arrayValue
            {
                last = sas
                if check(sas) { return sas }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return last
    }

    @Test(
        "lab up: both tunnels; a block empties the server's tables and refuses the client; the block and the audit numbering survive kill -9",
        .enabled(if: canRun, "needs root, krb5kdc and openssl (scripts/install-deps.sh)"))
    func adminDay() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("authip-labtest-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let lab = URL(fileURLWithPath: "/tmp/authip-lab-\(getpid())")
        defer {
            _ = try? Self.lab(["down"], directory: lab, in: folder)
            try? FileManager.default.removeItem(at: folder)
        }
        let (status, output) = try Self.lab(["up"], directory: lab, in: folder)
        try #require(status == 0, "\(output)")
        let server = lab.appendingPathComponent("server.sock").path
        let tunnels = Self.mainModes(server, seconds: 30) { $0.count == 2 }
        let methods = Set(tunnels.compactMap { $0["secondAuthenticationMethod"]?.stringValue })
        #expect(
            tunnels.count == 2 && methods == ["UserNTLM", "UserKerb"],
            "\(tunnels.map(\.compactText))\n\((try? String(contentsOf: lab.appendingPathComponent("server.err"), encoding: .utf8)) ?? "")"
        )
        #expect(tunnels.allSatisfy { $0["authenticationMethod"]?.stringValue == "ComputerCert" })

        // The stolen laptop: blocked until a date; the server's tables empty at once.
        let until = ControlTime.text(Date(timeIntervalSinceNow: 7 * 86_400))
        let blocked = try ControlClient.send(
            .block(pattern: WildcardPattern("*CLIENT1*")!, until: ControlTime.date(until), reason: "stolen"), to: server
        )
        #expect(blocked.contains("\"ok\":true"), "\(blocked)")
        #expect(Self.mainModes(server, seconds: 1) { $0.isEmpty }.isEmpty)

        // The client starts over and is refused: 4652 with 13905.
        _ = try Self.lab(["kill", "client"], directory: lab, in: folder)
        let (restarted, restartOutput) = try Self.lab(["start", "client"], directory: lab, in: folder)
        #expect(restarted == 0, "\(restartOutput)")
        let serverLog = lab.appendingPathComponent("server.log")
        let refused = Self.poll(seconds: 20) {
            let text = (try? String(contentsOf: serverLog, encoding: .utf8)) ?? ""
            // 13905 as the Security log writes it.
            return text.contains("event 4652") && text.contains("SA establishment is not authorized.") ? text : nil
        }
        #expect(refused != nil, "no 4652 with 13905 in the server's log")
        #expect(Self.mainModes(server, seconds: 0.5) { _ in true }.isEmpty)

        // kill -9 and a new server: the block is still there.
        _ = try Self.lab(["kill", "server"], directory: lab, in: folder)
        let (again, againOutput) = try Self.lab(["start", "server"], directory: lab, in: folder)
        #expect(again == 0, "\(againOutput)")
        let blocks = try ControlClient.send(.listBlocks, to: server)
        #expect(blocks.contains("*CLIENT1*") && blocks.contains(until), "\(blocks)")

        // The audit log goes on numbering after the crash: the client tries again, the new
        // server refuses it, and its records follow the old ones with nothing lost.
        let auditLog = lab.appendingPathComponent("server-audit.jsonl")
        let before = Self.recordIDs(auditLog)
        _ = try Self.lab(["kill", "client"], directory: lab, in: folder)
        _ = try Self.lab(["start", "client"], directory: lab, in: folder)
        let after = Self.poll(seconds: 20) { () -> [UInt64]? in
            let ids = Self.recordIDs(auditLog)
            return ids.count > before.count ? ids : nil
        }
        #expect(!before.isEmpty && after != nil)
        if let after { #expect(after == Array(1...UInt64(after.count)), "\(after)") }
    }

    /// The EventRecordIDs of a durable audit log, in file order.
    static func recordIDs(_ log: URL) -> [UInt64] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            (try? JSONValue(parsing: String(line)))?["System"]?["EventRecordID"]?.stringValue.flatMap { UInt64($0) }
        }
    }

    static func poll<Result>(seconds: Double, _ check: () -> Result?) -> Result? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if let result = check() { return result }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return nil
    }
}
