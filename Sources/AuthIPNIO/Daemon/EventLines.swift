import AuthIP
import AuthIPAudit
import AuthIPJSON
import Foundation

/// How a daemon prints what its driver reports.
public enum EventLineFormat: String, Sendable, CaseIterable {
    /// Audit events as Event Viewer shows them (a header line with the time, computer and
    /// event ID, the message, a blank line); SA changes as one readable line each.
    case text
    /// One JSON object a line: each audit event as its record, each SA change as `{"sa": …}`.
    case json
}

/// Turns audit events and SA changes into console lines, numbering the events as a Windows
/// log does.
struct EventLines {
    let format: EventLineFormat
    private var recorder: AuditRecorder

    /// Lines for `computerName`'s events, numbered from `lastRecordID + 1` (a durable log's
    /// numbering goes on across restarts).
    init(format: EventLineFormat, computerName: String, lastRecordID: UInt64 = 0) throws(AuditModelError) {
        self.format = format
        recorder = AuditRecorder(
            origin: try AuditOrigin(computer: computerName, processID: UInt32(getpid()), threadID: 0),
            lastRecordID: lastRecordID)
    }

    /// The event as the next record, and its line.
    mutating func audit(_ event: AuditEvent, at date: Date) throws(AuditModelError) -> (AuditRecord, String) {
        let time = AuditTime(nanosecondsSinceUnixEpoch: Int64(date.timeIntervalSince1970 * 1e9))
        let record = try recorder.record(event, at: time)
        switch format {
        case .text:
            // Windows' CRLFs as newlines (the messages have no other carriage return).
            let message = String(decoding: event.message.utf8.filter { $0 != 13 }, as: UTF8.self)
            return (
                record,
                "\(time.systemTime) \(recorder.origin.computer) event \(event.descriptor.eventID)"
                    + " record \(record.recordID)\n\(message)\n"
            )
        case .json:
            return (record, record.json.compactText)
        }
    }

    func installed(_ sa: IPsecSA) -> String {
        let mode = sa.encapsulation.isTunnel ? "tunnel" : "transport"
        switch format {
        case .text:
            return
                "SA installed: \(sa.direction.rawValue) SPI \(Self.hex(sa.spi)) QMSAID \(sa.quickModeSAID) \(sa.source) -> \(sa.destination) "
                + "\(mode) via \(sa.outerSource) -> \(sa.outerDestination)\(sa.udpEncapsulated ? " UDP-encapsulated" : ""), "
                + "ESP \(sa.cipher)/\(sa.integrity)"
        case .json:
            return JSONValue.object([
                ("sa", "installed"), ("direction", .string(sa.direction.rawValue)), ("spi", .string(Self.hex(sa.spi))),
                ("quickModeSAID", .string(String(sa.quickModeSAID))), ("source", .string(sa.source.description)),
                ("destination", .string(sa.destination.description)), ("mode", .string(mode)),
                ("outerSource", .string(sa.outerSource.description)),
                ("outerDestination", .string(sa.outerDestination.description)),
                ("udpEncapsulated", .bool(sa.udpEncapsulated)), ("cipher", .string("\(sa.cipher)")),
                ("integrity", .string("\(sa.integrity)")),
            ]).compactText
        }
    }

    func removed(spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64) -> String {
        switch format {
        case .text:
            return "SA removed: \(direction.rawValue) SPI \(Self.hex(spi)) QMSAID \(quickModeSAID)"
        case .json:
            return JSONValue.object([
                ("sa", "removed"), ("direction", .string(direction.rawValue)), ("spi", .string(Self.hex(spi))),
                ("quickModeSAID", .string(String(quickModeSAID))),
            ]).compactText
        }
    }

    private static func hex(_ spi: UInt32) -> String {
        let digits = String(spi, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
