/// How records become RFC 5424 syslog messages.
///
/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [System@PEN ...][EventData@PEN ...] BOM MSG`:
/// PRI from the facility and `severity(of:)`; TIMESTAMP the record's time in UTC with
/// microseconds; HOSTNAME the record's computer; PROCID its process ID; MSGID the event ID.
/// The `System` element carries EventID, Version, Task, Keywords, EventRecordID, ActivityID
/// (when present) and ThreadID; the `EventData` element every field, named and encoded as in
/// the XML. MSG is the Event Viewer message text, UTF-8 after a BOM, with its CR LF and TAB
/// kept: each message travels in one datagram.
public struct SyslogFormat: Hashable, Sendable {
    public var facility: SyslogFacility
    /// APP-NAME: 1–48 printable ASCII characters.
    public let appName: String
    /// The IANA private enterprise number in the SD-IDs (`System@32473`). 32473 is the
    /// number RFC 5612 reserves for documentation; deployments set their own.
    public var enterpriseNumber: UInt32

    public init(
        facility: SyslogFacility = .logAudit, appName: String = "Microsoft-Windows-Security-Auditing",
        enterpriseNumber: UInt32 = 32473
    ) throws(SyslogError) {
        let scalars = appName.unicodeScalars
        guard (1...48).contains(scalars.count), scalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw .invalidAppName(appName)
        }
        self.facility = facility
        self.appName = appName
        self.enterpriseNumber = enterpriseNumber
    }

    /// Audit Failure → 4 (warning). Audit Success → 6 (informational), except the events
    /// Windows files as successes although they report a problem — 4976–4978 (invalid
    /// packet) and 5453 (keying service not running) — which are 5 (notice).
    public static func severity(of event: AuditEvent) -> UInt8 {
        let descriptor = event.descriptor
        if descriptor.keywords == .auditFailure { return 4 }
        return [4976, 4977, 4978, 5453].contains(descriptor.eventID) ? 5 : 6
    }

    /// The complete message, as sent.
    public func message(for record: AuditRecord) -> [UInt8] {
        let (descriptor, values) = record.event.parts
        let priority = UInt32(facility.code) * 8 + UInt32(Self.severity(of: record.event))
        var text = "<\(priority)>1 \(record.time.rfc3339Microseconds) \(record.origin.computer) \(appName)"
        text += " \(record.origin.processID) \(descriptor.eventID) "
        var system: [(String, String)] = [
            ("EventID", String(descriptor.eventID)), ("Version", String(descriptor.version)),
            ("Task", String(descriptor.task)), ("Keywords", descriptor.keywords.hexValue),
            ("EventRecordID", String(record.recordID)),
        ]
        if let activity = record.activityIDText { system.append(("ActivityID", activity)) }
        system.append(("ThreadID", String(record.origin.threadID)))
        text += element("System", system)
        text += element("EventData", zip(descriptor.fields, values).map { ($0.name, $1.storedText) })
        return Array(text.utf8) + [0x20, 0xEF, 0xBB, 0xBF] + Array(record.event.message.utf8)
    }

    /// `[name@PEN param="value" ...]`, with `"`, `\` and `]` escaped in values.
    private func element(_ name: String, _ parameters: [(String, String)]) -> String {
        var text = "[\(name)@\(enterpriseNumber)"
        for (parameter, value) in parameters {
            var escaped = String.UnicodeScalarView()
            for scalar in value.unicodeScalars {
                if scalar == "\"" || scalar == "\\" || scalar == "]" { escaped.append("\\") }
                escaped.append(scalar)
            }
            text += " \(parameter)=\"\(String(escaped))\""
        }
        return text + "]"
    }
}

/// An RFC 5424 facility (0–23).
public struct SyslogFacility: Hashable, Sendable {
    public let code: UInt8

    public init(code: UInt8) throws(SyslogError) {
        guard code <= 23 else { throw .invalidFacility(code) }
        self.code = code
    }

    private init(known code: UInt8) { self.code = code }

    /// 4, security/authorization messages.
    public static let auth = SyslogFacility(known: 4)
    /// 10, private security/authorization messages.
    public static let authpriv = SyslogFacility(known: 10)
    /// 13, log audit.
    public static let logAudit = SyslogFacility(known: 13)
}
