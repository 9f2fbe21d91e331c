import AuthIPTestSupport
import Foundation
import Testing

/// `authip responder --record DIR` writes the run as a vector that `authip vectors run`
/// replays byte for byte (issue 18, part 4): the way a Windows client's negotiation becomes a
/// test vector.
@Suite("authip responder --record")
struct RecordingTests {
    @Test("A recorded negotiation over real UDP replays byte for byte; a changed byte fails the replay")
    func recordAndReplay() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-record-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (_, responderConfiguration, initiatorConfiguration) = try LoopbackConfiguration.write(
            .certificate(), in: directory)
        let recordings = directory.appendingPathComponent("recordings")

        let responder = try ChildProcess(
            "responder", executable: ChildProcess.authip,
            arguments: [
                "responder", "--config", responderConfiguration.path, "--duration", "20", "--record", recordings.path,
            ], in: directory)
        try #require(
            responder.waitForError(containing: "listening on", seconds: 10), "responder: \(responder.standardError)")
        let initiator = try ChildProcess(
            "initiator", executable: ChildProcess.authip,
            arguments: [
                "initiator", "--config", initiatorConfiguration.path, "--exit-when-established", "--duration", "10",
            ], in: directory)
        #expect(initiator.waitForExit(seconds: 12) == 0, "initiator: \(initiator.standardError)")
        Thread.sleep(forTimeInterval: 0.3)
        responder.terminate()
        #expect(responder.waitForExit(seconds: 5) == 0, "responder: \(responder.standardError)")
        #expect(responder.standardError.contains("recorded to "), "\(responder.standardError)")

        let files = try FileManager.default.contentsOfDirectory(atPath: recordings.path)
        try #require(files.count == 1, "\(files)")
        let recording = recordings.appendingPathComponent(files[0])
        let permissions = try FileManager.default.attributesOfItem(atPath: recording.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600, "it holds this side's secrets")
        let text = try String(contentsOf: recording, encoding: .utf8)
        #expect(text.contains("\"event 4651 ") || text.contains("\"event 4650 "), "an established Main Mode")

        let replay = try Self.vectorsRun(recordings, in: directory)
        #expect(replay.status == 0, "\(replay.output)")
        #expect(replay.output.hasSuffix("1 passed, 0 failed\n"), "\(replay.output)")

        // The last hex digit of the first datagram the responder sent, changed in the record.
        let outputs = try #require(text.range(of: "\"expect\""))
        let send = try #require(text[outputs.upperBound...].range(of: "\"send "))
        let end = try #require(text[send.upperBound...].firstIndex(of: "\""))
        let digit = text.index(before: end)
        var tampered = text
        tampered.replaceSubrange(digit...digit, with: text[digit] == "0" ? "1" : "0")
        try tampered.write(to: recording, atomically: true, encoding: .utf8)
        let refused = try Self.vectorsRun(recordings, in: directory)
        #expect(refused.status == 1)
        #expect(refused.output.contains("FAIL") && refused.output.contains("input "), "\(refused.output)")
    }

    /// `authip vectors run DIRECTORY`: its exit status and standard output.
    static func vectorsRun(_ recordings: URL, in directory: URL) throws -> (status: Int32?, output: String) {
        let run = try ChildProcess(
            "vectors", executable: ChildProcess.authip, arguments: ["vectors", "run", recordings.path], in: directory)
        let status = run.waitForExit(seconds: 60)
        return (status, run.standardOutput)
    }
}
