import Foundation

/// An event as a log holds it: the event with its record number, time, correlation and
/// origin, everything Windows' `<System>` header carries.
public struct AuditRecord: Hashable, Sendable {
    /// The `EventRecordID`; each log requires it to increase from record to record.
    public var recordID: UInt64
    public var time: AuditTime
    /// The `Correlation ActivityID` that ties the events of one negotiation together, or nil
    /// for an empty `<Correlation />`.
    public var activityID: UUID?
    public var origin: AuditOrigin
    public var event: AuditEvent

    public init(recordID: UInt64, time: AuditTime, activityID: UUID?, origin: AuditOrigin, event: AuditEvent) {
        self.recordID = recordID
        self.time = time
        self.activityID = activityID
        self.origin = origin
        self.event = event
    }

    /// The activity ID in Windows' form, `{5108737F-4EB9-0001-8473-0851B94ED601}`.
    var activityIDText: String? { activityID.map { "{" + $0.uuidString.uppercased() + "}" } }
}
