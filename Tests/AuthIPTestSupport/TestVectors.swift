import AuthIPJSON
import AuthIPWire
import Foundation

/// Reads the JSON files under `TestVectors/` of this repository.
public enum TestVectors {
    /// The repository's `TestVectors` folder, found from this file's path. Its secret files
    /// (the fixtures' private keys, the account directory with its passwords) are made the
    /// owner's alone first, as the loaders require of secrets: a clone gives them mode 0644.
    public static let directory: URL = {
        let directory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestVectors")
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".key") || path == "directory/accounts.json" {
                chmod(directory.appendingPathComponent(path).path, 0o600)
            }
        }
        return directory
    }()

    /// The parsed file `TestVectors/<path>`.
    public static func load(_ path: String) throws -> JSONValue {
        let text = try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
        return try JSONValue(parsing: text)
    }

    /// The `vectors` array of `TestVectors/<path>`.
    public static func vectors(_ path: String) throws -> [JSONValue] {
        try load(path)["vectors"]?.arrayValue ?? []
    }
}

/// A missing or mistyped field in a vector file.
public struct VectorFieldError: Error, CustomStringConvertible {
    public var field: String
    public init(field: String) { self.field = field }

    public var description: String { "vector field \(field) missing or of the wrong type" }
}

extension JSONValue {
    /// The string field `key`, or a thrown error naming it.
    public func string(_ key: String) throws -> String {
        guard let s = self[key]?.stringValue else { throw VectorFieldError(field: key) }
        return s
    }

    /// The hex field `key` as bytes.
    public func hex(_ key: String) throws -> [UInt8] {
        guard let bytes = Hex.decode(try string(key)) else { throw VectorFieldError(field: key) }
        return bytes
    }

    /// The integer field `key`.
    public func int(_ key: String) throws -> Int {
        guard let i = self[key]?.integerValue else { throw VectorFieldError(field: key) }
        return Int(i)
    }

    /// The name of the vector, for test messages.
    public var name: String { self["name"]?.stringValue ?? "?" }
}
