import AuthIPTestSupport
import Foundation
import Testing

/// The `authip responder` and `authip initiator` commands negotiate over real UDP on loopback
/// while tshark captures, and Wireshark's ISAKMP dissector accepts every datagram they sent.
@Suite("authip responder / initiator under tshark")
struct DaemonCaptureTests {
    @Test(
        "Certificate authentication between the commands; every datagram is well-formed ISAKMP of exchanges 243-246",
        .enabled(if: Tshark.executable != nil, "tshark is not installed (scripts/install-deps.sh installs it)"))
    func commandsNegotiateUnderCapture() throws {
        let tshark = try #require(Tshark.executable)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-capture-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (ports, responderConfiguration, initiatorConfiguration) = try LoopbackConfiguration.write(
            .certificate(), in: directory)
        let capture = directory.appendingPathComponent("authip.pcapng")

        let capturing = try ChildProcess(
            "tshark", executable: tshark,
            arguments: [
                "-i", "lo", "-f", "udp port \(ports.ike) or udp port \(ports.natTraversal)", "-w", capture.path,
            ], in: directory)
        try #require(
            capturing.waitForError(containing: "Capturing on", seconds: 10),
            "tshark cannot capture: \(capturing.standardError)")
        let responder = try ChildProcess(
            "responder", executable: ChildProcess.authip,
            arguments: [
                "responder", "--config", responderConfiguration.path, "--duration", "20",
            ], in: directory)
        try #require(
            responder.waitForError(containing: "listening on", seconds: 10), "responder: \(responder.standardError)")
        let initiator = try ChildProcess(
            "initiator", executable: ChildProcess.authip,
            arguments: [
                "initiator", "--config", initiatorConfiguration.path, "--events", "json", "--exit-when-established",
                "--duration", "10",
            ], in: directory)
        #expect(
            initiator.waitForExit(seconds: 12) == 0,
            "initiator: \(initiator.standardError)\n\(initiator.standardOutput)")
        // Let the responder answer the initiator's delete before it stops.
        Thread.sleep(forTimeInterval: 0.3)
        responder.terminate()
        #expect(responder.waitForExit(seconds: 5) == 0, "responder: \(responder.standardError)")
        // SIGTERM: tshark keeps SIGINT ignored when it starts with it ignored, as under the test runner.
        capturing.terminate()
        #expect(capturing.waitForExit(seconds: 10) == 0, "tshark: \(capturing.standardError)")

        let installed = initiator.standardOutput.split(separator: "\n").filter { $0.hasPrefix("{\"sa\":\"installed\"") }
        #expect(installed.count == 2, "\(initiator.standardOutput)")
        #expect(initiator.standardOutput.contains("\"EventID\":5451"))
        #expect(
            responder.standardOutput.contains("event 4651")
                && responder.standardOutput.contains("SA installed: inbound"))

        let frames = try Tshark.frames(
            of: capture, ports: [ports.ike, ports.natTraversal], executable: tshark, in: directory)
        #expect(frames.count >= 8, "MM #1 to QM #8 at least: \(frames.count) frames")
        for frame in frames {
            #expect(frame.protocols.hasSuffix(":udp:isakmp"), "frame \(frame.number) is \(frame.protocols)")
            #expect(
                !frame.exchangeTypes.isEmpty && frame.exchangeTypes.allSatisfy { (243...246).contains($0) },
                "frame \(frame.number) exchange types \(frame.exchangeTypes)")
            #expect(
                !frame.malformed && !frame.expertMessages.contains { $0.contains("Malformed") },
                "frame \(frame.number): \(frame.expertMessages)")
        }
        let exchanges = Set(frames.flatMap(\.exchangeTypes))
        #expect(exchanges.isSuperset(of: [243, 244]), "Main Mode and the QM synchronize: \(exchanges.sorted())")
    }
}
