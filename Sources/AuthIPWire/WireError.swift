/// Why a datagram is not a well-formed AuthIP message, and where reading stopped.
///
/// `offset` is the byte offset in the datagram (or in the decrypted payload chain, for
/// chains parsed from a Crypto payload) of the field that was wrong.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: Hashable, Sendable {
        /// The field needs more bytes than remain in its enclosing structure.
        case truncated(field: String, needed: Int, available: Int)
        /// A length field is impossible (too small, too large, or not a multiple it must be).
        case badLength(field: String, value: Int)
        /// A value that the receiver must understand has a value it does not know.
        case unknownCriticalValue(field: String, value: UInt64)
        /// The structure ended before its enclosing length did.
        case trailingBytes(field: String, count: Int)
        /// A Crypto payload where none may be (a second one, or one nested in a chain).
        case payloadLoop(field: String)
        /// The chain holds more payloads than any AuthIP message needs.
        case tooManyPayloads(limit: Int)
        /// A field holds a value that the layout forbids.
        case invalidValue(field: String, reason: String)
    }

    public var kind: Kind
    public var offset: Int

    /// The kind's name without its details (`truncated`, `badLength`, ...).
    public var kindName: String {
        switch kind {
        case .truncated: return "truncated"
        case .badLength: return "badLength"
        case .unknownCriticalValue: return "unknownCriticalValue"
        case .trailingBytes: return "trailingBytes"
        case .payloadLoop: return "payloadLoop"
        case .tooManyPayloads: return "tooManyPayloads"
        case .invalidValue: return "invalidValue"
        }
    }

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        switch kind {
        case let .truncated(field, needed, available):
            return "truncated \(field) at offset \(offset): needs \(needed) bytes, \(available) left"
        case let .badLength(field, value):
            return "bad length \(value) for \(field) at offset \(offset)"
        case let .unknownCriticalValue(field, value):
            return "unknown \(field) \(value) at offset \(offset)"
        case let .trailingBytes(field, count):
            return "\(count) trailing bytes after \(field) at offset \(offset)"
        case let .payloadLoop(field):
            return "payload loop: \(field) at offset \(offset)"
        case let .tooManyPayloads(limit):
            return "more than \(limit) payloads at offset \(offset)"
        case let .invalidValue(field, reason):
            return "invalid \(field) at offset \(offset): \(reason)"
        }
    }
}
