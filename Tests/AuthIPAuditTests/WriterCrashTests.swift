import AuthIPAudit
import AuthIPJSON
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kills a real `authip-audit-writer` process with SIGKILL in the middle of its stream and
/// checks that every record it acknowledged is in the log, byte for byte, once the log is
/// reopened; and that reopening removed a torn tail if the kill left one.
@Suite("Crash safety of the durable log")
struct WriterCrashTests {
    /// `authip-audit-writer`, built beside the test bundle.
    static let writer = URL(
        fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
    ).deletingLastPathComponent().appendingPathComponent("authip-audit-writer")

    @Test(
        "SIGKILL at different moments loses no acknowledged record, one sync per record and with group commit",
        arguments: [1, 64])
    func killedWriter(batch: Int) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("audit.jsonl").path
        var acknowledged: [UInt64: String] = [:]

        // How many acknowledgements to wait for before each kill: 0 kills during start-up.
        for killAfter in [5, 0, 1, 23, 2, 60] {
            let run = try WriterRun(path: path, batch: batch)
            let lines = try run.readAcknowledgements(count: killAfter)
            run.killNow()
            let all = lines + (try run.readRemainingAcknowledgements())
            run.wait()
            #expect(run.killedBySignal, "the writer finished before it was killed; raise its COUNT")
            for line in all {
                #expect(acknowledged[line.id] == nil, "record \(line.id) acknowledged twice")
                acknowledged[line.id] = line.json
            }

            let beforeRecovery = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            let wholeLength = (beforeRecovery.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
            let log = try DurableAuditLog(path: path)
            #expect(log.droppedTailBytes == Int64(beforeRecovery.count - wholeLength))
            let recovered = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(recovered == beforeRecovery.prefix(wholeLength), "recovery changed a whole line")

            let stored = String(decoding: recovered, as: UTF8.self).split(
                separator: "\n", omittingEmptySubsequences: false)
            #expect(stored.last == "", "the log does not end with a whole line")
            let records = stored.dropLast().map(String.init)
            #expect(log.lastRecordID == UInt64(records.count))
            for (index, line) in records.enumerated() {
                let id = try JSONValue(parsing: line)["System"]?["EventRecordID"]?.stringValue
                #expect(id == String(index + 1), "records are numbered 1, 2, 3, ... without gaps")
            }
            for (id, json) in acknowledged {
                #expect(
                    records.indices.contains(Int(id) - 1) && records[Int(id) - 1] == json,
                    "acknowledged record \(id) lost")
            }
        }
        #expect(acknowledged.count >= 91)
    }
}

/// One run of the writer, appending up to a million records to `path`.
final class WriterRun {
    struct Acknowledgement { let id: UInt64; let json: String }
    struct Failure: Error, CustomStringConvertible { let description: String }

    private let process = Process()
    private let output = Pipe()
    private var buffer: [UInt8] = []

    init(path: String, batch: Int = 1) throws {
        process.executableURL = WriterCrashTests.writer
        process.arguments = [path, "1000000", String(batch)]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Blocks until `count` acknowledgements have been printed.
    func readAcknowledgements(count: Int) throws -> [Acknowledgement] {
        var lines: [Acknowledgement] = []
        while lines.count < count {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { throw Failure(description: "the writer exited after \(lines.count) records") }
            buffer += data
            lines += try takeLines()
        }
        return lines
    }

    /// Everything printed up to the process's death: each whole line is an acknowledgement; a
    /// partial last line is not.
    func readRemainingAcknowledgements() throws -> [Acknowledgement] {
        buffer += output.fileHandleForReading.readDataToEndOfFile()
        return try takeLines()
    }

    func killNow() {
        _ = kill(process.processIdentifier, SIGKILL)
    }

    func wait() {
        process.waitUntilExit()
    }

    var killedBySignal: Bool {
        process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
    }

    private func takeLines() throws -> [Acknowledgement] {
        var lines: [Acknowledgement] = []
        while let newline = buffer.firstIndex(of: 0x0A) {
            let line = String(decoding: buffer[..<newline], as: UTF8.self)
            buffer.removeSubrange(...newline)
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, let id = UInt64(parts[0]) else { throw Failure(description: "bad line: \(line)") }
            lines.append(Acknowledgement(id: id, json: String(parts[1])))
        }
        return lines
    }
}
