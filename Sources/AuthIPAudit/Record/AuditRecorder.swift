import Foundation

/// Numbers events as a Windows log does: each record gets the next `EventRecordID`. A value
/// the driver keeps; start it after the last ID of the log it appends to
/// (`DurableAuditLog.lastRecordID`) so that IDs keep increasing across restarts.
public struct AuditRecorder: Hashable, Sendable {
    public let origin: AuditOrigin
    /// The ID of the last record made, 0 before the first.
    public private(set) var lastRecordID: UInt64

    public init(origin: AuditOrigin, lastRecordID: UInt64 = 0) {
        self.origin = origin
        self.lastRecordID = lastRecordID
    }

    /// The event as the next record.
    public mutating func record(
        _ event: AuditEvent, at time: AuditTime, activityID: UUID? = nil
    ) throws(AuditModelError) -> AuditRecord {
        guard lastRecordID < UInt64.max else { throw .recordIDsExhausted }
        lastRecordID += 1
        return AuditRecord(recordID: lastRecordID, time: time, activityID: activityID, origin: origin, event: event)
    }
}
