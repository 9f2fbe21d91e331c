import AuthIPTestSupport
import Foundation
import Testing

@Suite("authip vectors")
struct VectorsCommandTests {
    @Test("Every scenario vector replays byte for byte")
    func replay() throws {
        let run = try AuthIPRun(["vectors", "run", TestVectors.directory.path])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(
            atPath: TestVectors.directory.appendingPathComponent("scenarios").path
        )
        .filter { $0.hasSuffix(".json") }
        #expect(files.count >= 30)
        #expect(run.stdout.hasSuffix("\(files.count) passed, 0 failed\n"))
    }

    @Test("A vector whose expected outcome was changed fails, naming the difference")
    func tampered() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authip-vectors-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try String(
            contentsOf: TestVectors.directory.appendingPathComponent("scenarios/fault-revoked-cert.json"),
            encoding: .utf8)
        let changed = original.replacingOccurrences(
            of: "\"FailureReason\": \"", with: "\"FailureReason\": \"Not ", options: [], range: nil)
        #expect(changed != original)
        try changed.write(
            to: directory.appendingPathComponent("fault-revoked-cert.json"), atomically: true, encoding: .utf8)
        try "{\"name\": \"broken\"}".write(
            to: directory.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        let run = try AuthIPRun(["vectors", "run", directory.path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL  fault-revoked-cert.json: event"))
        #expect(run.stdout.contains("FAIL  broken.json: not a scenario vector"))
        #expect(run.stdout.hasSuffix("0 passed, 2 failed\n"))
    }
}
