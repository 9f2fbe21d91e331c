import AuthIPJSON

/// Why an account directory file could not be loaded.
public enum AccountDirectoryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not JSON.
    case malformedJSON(JSONParseError)
    /// A field is missing, of the wrong type, unknown, or holds a bad value; `account` names
    /// the account it belongs to (nil for the file's top level).
    case invalidField(account: String?, field: String, reason: String)
    /// Two accounts share a name (names compare case-insensitively).
    case duplicateAccount(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read the account directory \(path): \(reason)"
        case let .malformedJSON(error): return "the account directory is not JSON: \(error)"
        case let .invalidField(account?, field, reason): return "account \(account): field \(field) \(reason)"
        case let .invalidField(nil, field, reason): return "account directory: field \(field) \(reason)"
        case let .duplicateAccount(name): return "account directory: \(name) appears twice"
        }
    }
}
