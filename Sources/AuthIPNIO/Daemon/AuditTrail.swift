import AuthIPAudit
import Dispatch
import Foundation
import Synchronization

/// Where a daemon's audit records go besides standard output: the durable log and syslog,
/// written on a queue of their own so that a slow disk or receiver never holds up the event
/// loop. Records queued while a write runs go together in the next one (group commit).
final class AuditTrail: Sendable {
    /// The last record ID in the log when it was opened: the daemon's numbering goes on from it.
    let lastRecordID: UInt64
    private let queue = DispatchQueue(label: "authip.audit")
    private let pending = Mutex<[AuditRecord]>([])
    private let sinks: Mutex<Sinks>

    private struct Sinks: ~Copyable {
        var log: DurableAuditLog?
        var syslog: SyslogSink?
    }

    /// Opens the log (recovering a torn last line) and the syslog socket.
    init(logPath: String?, syslog: (SyslogDestination, SyslogFormat)?) throws {
        var log: DurableAuditLog?
        if let logPath {
            let opened = try DurableAuditLog(path: logPath)
            if opened.droppedTailBytes > 0 {
                Console.note("audit log \(logPath): dropped a torn last line of \(opened.droppedTailBytes) bytes")
            }
            log = consume opened
        }
        lastRecordID = log?.lastRecordID ?? 0
        let sink = try syslog.map { try SyslogSink(destination: $0.0, format: $0.1) }
        sinks = Mutex(Sinks(log: consume log, syslog: consume sink))
    }

    /// Queues a record; it is written soon after, in order.
    func submit(_ record: AuditRecord) {
        let first = pending.withLock { records in
            records.append(record)
            return records.count == 1
        }
        if first { queue.async { self.write() } }
    }

    /// Waits until every record submitted so far is written.
    func drain() {
        queue.sync {}
    }

    private func write() {
        let records = pending.withLock { records in
            defer { records = [] }
            return records
        }
        guard !records.isEmpty else { return }
        sinks.withLock { sinks in
            if sinks.log != nil {
                do {
                    try sinks.log!.append(contentsOf: records)
                } catch {
                    Console.note(
                        "audit log: records \(records[0].recordID)-\(records.last!.recordID) not written: \(error)")
                }
            }
            if sinks.syslog != nil {
                for record in records {
                    do {
                        try sinks.syslog!.send(record)
                    } catch {
                        Console.note("syslog: record \(record.recordID) not sent: \(error)")
                    }
                }
            }
        }
    }
}
