/// Keeps records in memory, in order: for tests, the simulator and anything that inspects
/// what the engine reported.
public struct AuditCollector: Hashable, Sendable {
    public private(set) var records: [AuditRecord] = []

    public init() {}

    /// The events, without their record headers.
    public var events: [AuditEvent] { records.map(\.event) }

    /// Adds a record; its ID must be greater than the last one's.
    public mutating func append(_ record: AuditRecord) throws(AuditCollectorError) {
        if let last = records.last, record.recordID <= last.recordID {
            throw AuditCollectorError(lastRecordID: last.recordID, rejectedRecordID: record.recordID)
        }
        records.append(record)
    }
}

/// A record whose ID does not follow the collector's last one.
public struct AuditCollectorError: Error, Hashable, Sendable, CustomStringConvertible {
    public var lastRecordID: UInt64
    public var rejectedRecordID: UInt64

    public var description: String {
        "record ID \(rejectedRecordID) does not increase on the last one, \(lastRecordID)"
    }
}
