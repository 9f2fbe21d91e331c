import AuthIPTestSupport
import AuthIPWire
import Foundation

/// One of the pyspnego peers of Tools/ntlm, run as a child process that trades hex tokens
/// with the test a line at a time. A watchdog ends it if an exchange stalls.
final class NTLMPeerProcess {
    /// What the peer said.
    enum Line: Equatable {
        case token([UInt8])
        /// Done; the session key and, for the acceptor, the authenticated principal.
        case complete(sessionKey: [UInt8], principal: String?)
        case failed(String)
    }

    static let toolsDirectory = TestVectors.directory.deletingLastPathComponent().appendingPathComponent("Tools/ntlm")

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered: [UInt8] = []

    init(script: String, environment: [String: String], timeout: TimeInterval = 60) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.toolsDirectory.appendingPathComponent(script).path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let process = self.process
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { process.terminate() } }
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Whether `python3 -c 'import spnego'` succeeds.
    static func pyspnegoIsImportable() throws -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import spnego"]
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    func send(_ token: [UInt8]) {
        input.fileHandleForWriting.write(Data((Hex.encode(token) + "\n").utf8))
    }

    /// The peer's next line; nil when it exited without one.
    func next() -> Line? {
        while true {
            if let end = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<end], as: UTF8.self)
                buffered.removeSubrange(...end)
                return Self.parse(line)
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffered += chunk
        }
    }

    private static func parse(_ line: String) -> Line {
        let words = line.split(separator: " ", maxSplits: 2).map(String.init)
        switch words.first {
        case "token":
            return words.count > 1 ? Hex.decode(words[1]).map(Line.token) ?? .failed(line) : .failed(line)
        case "complete":
            guard words.count > 1, let key = Hex.decode(words[1]) else { return .failed(line) }
            return .complete(sessionKey: key, principal: words.count > 2 ? words[2] : nil)
        default:
            return .failed(line)
        }
    }
}
