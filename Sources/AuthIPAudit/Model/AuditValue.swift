/// One EventData value in the form Windows stores it.
public enum AuditValue: Hashable, Sendable {
    /// Literal text (UnicodeString): a name, an address, a cookie, a failure reason.
    case text(String)
    /// A `%%NNNN` reference to an msobjs.dll string (UnicodeString), expanded by the viewer.
    case parameter(UInt32)
    case uint32(UInt32)
    case uint64(UInt64)

    /// What Windows writes for a name, address or certificate detail that is not known.
    public static let unknownText = "-"

    /// The text stored in the event: what `<Data>` holds (before XML escaping) and what the
    /// JSON form carries.
    public var storedText: String {
        switch self {
        case .text(let text): return text
        case .parameter(let id): return "%%\(id)"
        case .uint32(let value): return String(value)
        case .uint64(let value): return String(value)
        }
    }

    /// The text Event Viewer shows: `%%NNNN` replaced by the msobjs.dll string.
    public var displayText: String {
        if case .parameter(let id) = self, let text = ParameterStrings.text[id] { return text }
        return storedText
    }
}

extension AuditValue {
    /// Literal text, or `-` when it is absent or empty.
    static func optionalText(_ text: String?) -> AuditValue {
        guard let text, !text.isEmpty else { return .text(unknownText) }
        return .text(text)
    }

    /// An address in Windows' textual form, or `-`.
    static func address(_ address: AuditAddress?) -> AuditValue {
        .text(address?.description ?? unknownText)
    }

    /// An IKE cookie (SPI): 16 lower-case hex digits.
    static func cookie(_ cookie: UInt64) -> AuditValue {
        let hex = String(cookie, radix: 16)
        return .text(String(repeating: "0", count: 16 - hex.count) + hex)
    }

    /// A value with an msobjs.dll string.
    static func parameter(_ value: some AuditParameter) -> AuditValue {
        .parameter(value.rawValue)
    }
}
