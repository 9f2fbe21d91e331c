import AuthIPAudit
import AuthIPJSON
import Foundation
import Testing

/// The JSON-lines log: what it writes, what reopening it recovers, what it refuses.
@Suite("Durable audit log")
final class DurableAuditLogTests {
    let directory: URL
    let path: String

    init() throws {
        directory = try Fixtures.temporaryDirectory()
        path = directory.appendingPathComponent("audit.jsonl").path
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func contents() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func append(_ bytes: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes.utf8))
        try handle.close()
    }

    /// Records 1...count appended to a new log, which is then closed.
    func writeRecords(_ count: UInt64) throws -> [AuditRecord] {
        var log = try DurableAuditLog(path: path)
        let records = try (1...count).map { try Fixtures.record(Fixtures.extendedModeFailed(), id: $0) }
        for record in records { try log.append(record) }
        return records
    }

    @Test("Each acknowledged record is one compact JSON line, readable after reopening")
    func appendAndReopen() throws {
        let records = try writeRecords(3)
        let expected = records.map { $0.json.compactText + "\n" }.joined()
        #expect(String(decoding: try contents(), as: UTF8.self) == expected)
        let log = try DurableAuditLog(path: path)
        #expect(log.lastRecordID == 3)
        #expect(log.droppedTailBytes == 0)
        #expect(String(decoding: try contents(), as: UTF8.self) == expected)
    }

    @Test("A new log is empty and starts after record 0")
    func emptyLog() throws {
        let log = try DurableAuditLog(path: path)
        #expect(log.lastRecordID == 0)
        #expect(try contents().isEmpty)
    }

    @Test("Reopening truncates a torn last line and keeps every whole record")
    func tornTail() throws {
        _ = try writeRecords(2)
        let whole = try contents()
        let torn = String(try Fixtures.record(Fixtures.extendedModeFailed(), id: 3).json.compactText.prefix(57))
        try append(torn)
        var log = try DurableAuditLog(path: path)
        #expect(log.droppedTailBytes == Int64(torn.utf8.count))
        #expect(log.lastRecordID == 2)
        #expect(try contents() == whole)
        // The log continues cleanly after the recovered end.
        try log.append(try Fixtures.record(.keyingModulesNotStarted, id: 3))
        #expect(log.lastRecordID == 3)
        let lines = String(decoding: try contents(), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(try JSONValue(parsing: String(lines[2]))["System"]?["EventID"] == 5453)
    }

    @Test("Reopening drops a whole final line that is not a record")
    func unreadableFinalLine() throws {
        _ = try writeRecords(2)
        let whole = try contents()
        try append("\u{0}\u{0}\u{0}not a record\n")
        let log = try DurableAuditLog(path: path)
        #expect(log.droppedTailBytes == 16)
        #expect(log.lastRecordID == 2)
        #expect(try contents() == whole)
    }

    @Test("Damage before the last line is reported, not repaired")
    func corruptMiddle() throws {
        _ = try writeRecords(1)
        let length = Int64(try contents().count)
        try append("garbage\nmore garbage\n")
        #expect(throws: DurableAuditLogError.corruptRecord(path: path, offset: length)) {
            _ = try DurableAuditLog(path: path)
        }
        #expect(try contents().count == Int(length) + 21)
    }

    @Test("A record whose ID does not increase is refused and not written")
    func idMustIncrease() throws {
        _ = try writeRecords(2)
        let before = try contents()
        var log = try DurableAuditLog(path: path)
        #expect(throws: DurableAuditLogError.recordIDNotIncreasing(last: 2, rejected: 2)) {
            try log.append(try Fixtures.record(.keyingModulesNotStarted, id: 2))
        }
        #expect(try contents() == before)
    }

    @Test("Only one writer may hold the log")
    func exclusive() throws {
        let first = try DurableAuditLog(path: path)
        #expect(throws: DurableAuditLogError.locked(path: path)) { _ = try DurableAuditLog(path: path) }
        _ = consume first
        #expect(try DurableAuditLog(path: path).lastRecordID == 0)
    }

    @Test("A log in a missing directory is a typed error")
    func missingDirectory() {
        let missing = directory.appendingPathComponent("no/such/dir/audit.jsonl").path
        #expect(throws: DurableAuditLogError.system(.open, path: missing, errno: ENOENT)) {
            _ = try DurableAuditLog(path: missing)
        }
    }
}
