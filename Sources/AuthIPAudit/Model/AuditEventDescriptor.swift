/// What Windows' provider manifest says about one event: its header values, its EventData
/// fields in order, and its message template. The values are generated from the reference
/// (`Generated/AuditEventDescriptors.swift`).
public struct AuditEventDescriptor: Hashable, Sendable {
    public let eventID: UInt16
    public let version: UInt8
    public let task: UInt16
    public let keywords: AuditKeywords
    /// The auditpol subcategory, which Event Viewer shows as the task name.
    public let subcategory: String
    /// The `<Data Name=...>` fields, in the manifest's order.
    public let fields: [AuditField]
    let message: [MessageSegment]
}

/// One EventData field of the manifest.
public struct AuditField: Hashable, Sendable {
    public let name: String
    public let type: AuditFieldType
    /// The msobjs.dll message IDs the field may reference (`%%NNNN`), or nil when it holds
    /// literal text or a number.
    public let parameters: [UInt32]?
}

/// The manifest type of a field.
public enum AuditFieldType: Hashable, Sendable {
    case unicodeString
    case uint32
    case uint64
}

/// The Security log's audit outcome keyword.
public enum AuditKeywords: Hashable, Sendable {
    case auditSuccess
    case auditFailure

    /// The `<Keywords>` value.
    public var hexValue: String {
        switch self {
        case .auditSuccess: return "0x8020000000000000"
        case .auditFailure: return "0x8010000000000000"
        }
    }

    /// The keyword's name as Event Viewer shows it.
    public var displayName: String {
        switch self {
        case .auditSuccess: return "Audit Success"
        case .auditFailure: return "Audit Failure"
        }
    }
}

/// A piece of a message template: literal text (with `%n` and `%t` already expanded to CR LF
/// and TAB) or the insertion of a field, by its 0-based index.
enum MessageSegment: Hashable, Sendable {
    case text(String)
    case field(Int)
}
