import AuthIPJSON

extension AuditRecord {
    /// The event as JSON. `System` and `EventData` mirror the XML (elements become members,
    /// attributes become members of their element's object, empty elements `{}`).
    /// `EventRecordID`, `Keywords` and every EventData value are strings exactly as in the XML,
    /// so 64-bit IDs survive JSON readers that use doubles; the 16- and 32-bit header numbers
    /// are numbers. `RenderingInfo` adds what Event Viewer shows: the message, the task
    /// (subcategory) name and the keyword names.
    public var json: JSONValue {
        let (descriptor, values) = event.parts
        let correlation: [(String, JSONValue)] = activityIDText.map { [("ActivityID", .string($0))] } ?? []
        let system: JSONValue = .object([
            (
                "Provider",
                .object([
                    ("Name", .string(SecurityAuditingProvider.name)),
                    ("Guid", .string(SecurityAuditingProvider.guid)),
                ])
            ),
            ("EventID", .number(descriptor.eventID)),
            ("Version", .number(descriptor.version)),
            ("Level", .number(SecurityAuditingProvider.level)),
            ("Task", .number(descriptor.task)),
            ("Opcode", .number(SecurityAuditingProvider.opcode)),
            ("Keywords", .string(descriptor.keywords.hexValue)),
            ("TimeCreated", .object([("SystemTime", .string(time.systemTime))])),
            ("EventRecordID", .string(String(recordID))),
            ("Correlation", .object(correlation)),
            ("Execution", .object([("ProcessID", .number(origin.processID)), ("ThreadID", .number(origin.threadID))])),
            ("Channel", .string(SecurityAuditingProvider.channel)),
            ("Computer", .string(origin.computer)),
            ("Security", .object([])),
        ])
        let eventData = zip(descriptor.fields, values).map { ($0.name, JSONValue.string($1.storedText)) }
        return .object([
            ("System", system),
            ("EventData", .object(eventData)),
            (
                "RenderingInfo",
                .object([
                    ("Message", .string(event.message)),
                    ("Task", .string(descriptor.subcategory)),
                    ("Keywords", .array([.string(descriptor.keywords.displayName)])),
                ])
            ),
        ])
    }
}
