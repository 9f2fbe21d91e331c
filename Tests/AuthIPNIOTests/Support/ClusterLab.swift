import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import Foundation
import Testing

/// `scripts/cluster-lab.sh` run by a test: a 3-member etcd cluster, gateways A (127.0.0.2) and
/// B (127.0.0.3), clients 1 and 2 on A, 3 and 4 on B, in a folder and on ports of its own.
final class ClusterLab {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../scripts/cluster-lab.sh").standardizedFileURL.path
    /// Whether etcd and etcdctl are installed (scripts/install-deps.sh installs them).
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/etcdctl")
            && ProcessInfo.processInfo.environment["AUTHIP_SANITIZER"] == nil
    }

    let directory: URL
    let environment: [String: String]

    /// Starts the lab: etcd, both nodes, two clients on each, all connected.
    init() throws {
        let tag = UUID().uuidString.prefix(8)
        directory = URL(fileURLWithPath: "/tmp/acl-\(tag)")
        let port = 20_000 + Int.random(in: 0..<3_000) * 3
        environment = [
            "AUTHIP_CLUSTER_LAB": directory.path, "AUTHIP_BIN": ChildProcess.authip.path,
            "AUTHIP_CLUSTER_PORT": String(port),
            // Below the kernel's ephemeral ports (32768 on), which a connection elsewhere may hold.
            "AUTHIP_CLUSTER_ETCD_PORT": String(30_000 + Int.random(in: 0..<130) * 20),
        ]
        try run("up", seconds: 90)
    }

    deinit { try? run("down", seconds: 30) }

    /// Runs a subcommand of the lab's script to its end; a failure is the test's.
    func run(_ arguments: String..., seconds: Double = 30) throws {
        let logs = FileManager.default.temporaryDirectory
        let child = try ChildProcess(
            "cluster-lab-\(UUID())", executable: URL(fileURLWithPath: "/bin/bash"),
            arguments: [Self.script] + arguments,
            in: logs, environment: environment)
        let status = child.waitForExit(seconds: seconds)
        try #require(status == 0, "cluster-lab.sh \(arguments.joined(separator: " ")): \(child.standardError)")
    }

    func socket(_ node: String) -> String { directory.appendingPathComponent("node-\(node.lowercased()).sock").path }

    func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("logs/\(name).log"), encoding: .utf8)) ?? ""
    }

    /// A request to a node's control socket: its result, or the refusal's text.
    func send(_ request: ControlRequest, to node: String) -> Result<JSONValue, ControlRequest.Refusal> {
        do {
            let response = try JSONValue(parsing: try ControlClient.send(request, to: socket(node)))
            guard response["ok"]?.boolValue == true, let result = response["result"] else {
                return .failure(ControlRequest.Refusal(response["error"]?.stringValue ?? "refused"))
            }
            return .success(result)
        } catch {
            return .failure(ControlRequest.Refusal("\(error)"))
        }
    }

    /// Runs `authip` to its end: status, output, error.
    func authip(_ arguments: String...) throws -> (status: Int32?, output: String, error: String) {
        let child = try ChildProcess(
            "cluster-cli-\(UUID())", executable: ChildProcess.authip, arguments: arguments,
            in: FileManager.default.temporaryDirectory)
        let status = child.waitForExit(seconds: 30)
        return (status, child.standardOutput, child.standardError)
    }

    /// The remote addresses (without their ports: the lab's are IPv4) of a node's Main Mode
    /// SAs whose identity is -like `pattern`.
    func remotes(on node: String, identity: String? = nil) -> [String] {
        guard
            case .success(let result) = send(
                .listSAs(identity: identity.flatMap { WildcardPattern($0) }, remote: nil, quick: false), to: node)
        else { return [] }
        return (result["mainModeSAs"]?.arrayValue ?? []).compactMap {
            $0["remoteAddress"]?.stringValue?.split(separator: ":").first.map(String.init)
        }
    }

    /// Polls `check` every 10 ms for up to `seconds`; whether it held.
    func eventually(_ seconds: Double, _ check: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if check() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return check()
    }

    static func client(_ number: Int) -> String { String(format: "LOAD%05d", number) }
    static func address(_ number: Int) -> String { "127.0.1.\(number)" }
}
