/// Why the durable log could not open or could not acknowledge a record.
public enum DurableAuditLogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The system call that failed, for `.system`.
    public enum Operation: String, Hashable, Sendable {
        case open, lock, stat, read, write, sync, truncate, syncDirectory
    }

    /// A system call failed with this errno.
    case system(Operation, path: String, errno: Int32)
    /// Another process (or another `DurableAuditLog`) has the file open for appending.
    case locked(path: String)
    /// A line before the torn tail is not a record; the file was not written by this log or
    /// was damaged, and is left as it is.
    case corruptRecord(path: String, offset: Int64)
    /// The record's ID does not increase on the last one in the log.
    case recordIDNotIncreasing(last: UInt64, rejected: UInt64)
    /// An earlier write or sync failed; what is on disk can no longer be vouched for. Open the
    /// log again, which recovers it.
    case unusable(path: String)

    public var description: String {
        switch self {
        case let .system(operation, path, errno):
            return "\(operation.rawValue) failed on \(path): errno \(errno)"
        case .locked(let path):
            return "\(path) is already open for appending"
        case let .corruptRecord(path, offset):
            return "\(path): the line at byte \(offset) is not an audit record"
        case let .recordIDNotIncreasing(last, rejected):
            return "record ID \(rejected) does not increase on the last one, \(last)"
        case .unusable(let path):
            return "\(path): an earlier write or sync failed; reopen the log"
        }
    }
}
