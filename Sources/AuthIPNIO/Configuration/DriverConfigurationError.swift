/// Why a daemon configuration file cannot be used. `field` is the path of the member concerned,
/// as `rules[0].authentication[1].trustedRoots[0]`.
public enum DriverConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The configuration file itself could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not JSON.
    case notJSON(reason: String)
    /// A member is missing, of the wrong type, unknown, or holds a value that is not allowed.
    case invalidField(field: String, reason: String)
    /// A file a member names (a certificate, key, root, CRL cache, keytab or account directory)
    /// could not be loaded.
    case unloadable(field: String, path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read the configuration \(path): \(reason)"
        case let .notJSON(reason): return "the configuration is not JSON: \(reason)"
        case let .invalidField(field, reason): return "configuration: \(field) \(reason)"
        case let .unloadable(field, path, reason): return "configuration: \(field): cannot load \(path): \(reason)"
        }
    }

    /// The error for what JSONDecoder reports.
    init(_ error: DecodingError) {
        switch error {
        case let .keyNotFound(key, context):
            self = .invalidField(field: Self.path(context.codingPath + [key]), reason: "is missing")
        case let .valueNotFound(_, context):
            self = .invalidField(field: Self.path(context.codingPath), reason: "is null")
        case let .typeMismatch(type, context):
            self = .invalidField(field: Self.path(context.codingPath), reason: "is not \(Self.kind(of: type))")
        case let .dataCorrupted(context) where context.codingPath.isEmpty:
            self = .notJSON(reason: context.underlyingError.map { "\($0)" } ?? context.debugDescription)
        case let .dataCorrupted(context):
            self = .invalidField(field: Self.path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            self = .notJSON(reason: "\(error)")
        }
    }

    /// `rules[0].local` from a coding path.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "(top level)" : text
    }

    private static func kind(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is UInt8.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type, is Int.Type:
            return "a whole number in range"
        case is [Any].Type: return "an array"
        default: return "an object"
        }
    }
}
