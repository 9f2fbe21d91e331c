import AuthIPAudit
import Foundation
import Testing

/// EventRecordID: one more for every record, never reused, never decreasing.
@Suite("Record numbering")
struct RecordNumberingTests {
    @Test("The recorder numbers records one after another from where the log stopped")
    func recorderIncreases() throws {
        var recorder = AuditRecorder(origin: try Fixtures.origin(), lastRecordID: 41)
        let time = AuditTime(nanosecondsSinceUnixEpoch: 1_710_408_413_000_000_000)
        let records = try (0..<3).map { _ in try recorder.record(.keyingModulesNotStarted, at: time) }
        #expect(records.map(\.recordID) == [42, 43, 44])
        #expect(recorder.lastRecordID == 44)
        #expect(
            records.map { $0.windowsXML.contains("<EventRecordID>\($0.recordID)</EventRecordID>") } == [
                true, true, true,
            ])
    }

    @Test("A fresh recorder starts at 1 and carries the activity ID it is given")
    func recorderStartsAtOne() throws {
        var recorder = AuditRecorder(origin: try Fixtures.origin())
        let activity = try #require(UUID(uuidString: "80a2c446-7193-0001-f506-172839405b6c"))
        let record = try recorder.record(
            .keyingModulesNotStarted, at: AuditTime(nanosecondsSinceUnixEpoch: 0), activityID: activity)
        #expect(record.recordID == 1)
        #expect(record.windowsXML.contains("<Correlation ActivityID='{80A2C446-7193-0001-F506-172839405B6C}' />"))
    }

    @Test("The recorder refuses to wrap around after UInt64.max")
    func recorderExhausts() throws {
        var recorder = AuditRecorder(origin: try Fixtures.origin(), lastRecordID: UInt64.max - 1)
        let time = AuditTime(nanosecondsSinceUnixEpoch: 0)
        #expect(try recorder.record(.keyingModulesNotStarted, at: time).recordID == UInt64.max)
        #expect(throws: AuditModelError.recordIDsExhausted) { try recorder.record(.keyingModulesNotStarted, at: time) }
        #expect(recorder.lastRecordID == UInt64.max)
    }

    @Test("The collector keeps records in order and rejects an ID that does not increase")
    func collectorOrder() throws {
        var collector = AuditCollector()
        try collector.append(try Fixtures.record(.keyingModulesNotStarted, id: 7))
        try collector.append(try Fixtures.record(Fixtures.extendedModeFailed(), id: 9))
        for rejected: UInt64 in [9, 3] {
            let record = try Fixtures.record(.keyingModulesNotStarted, id: rejected)
            #expect {
                try collector.append(record)
            } throws: { error in
                let error = error as? AuditCollectorError
                return error?.lastRecordID == 9 && error?.rejectedRecordID == rejected
            }
        }
        #expect(collector.records.map(\.recordID) == [7, 9])
        #expect(collector.events == [.keyingModulesNotStarted, Fixtures.extendedModeFailed()])
    }
}
