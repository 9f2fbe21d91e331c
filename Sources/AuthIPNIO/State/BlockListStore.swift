import AuthIPControl
import AuthIPJSON
import AuthIPSADatabase
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's block list on disk: `blocklist.json` in the state directory, written whole to a
/// temporary file, flushed, and renamed over the old one (then the directory flushed), so that a
/// crash at any point leaves either the old list or the new one, and a block acknowledged on the
/// control socket was on disk first.
public struct BlockListStore: Sendable {
    /// One block as the daemon keeps it: the pattern, its end, why, and when it was set.
    public struct Entry: Sendable, Hashable {
        public var pattern: WildcardPattern
        public var until: Date?
        public var reason: String?
        public var added: Date

        public init(pattern: WildcardPattern, until: Date?, reason: String?, added: Date) {
            self.pattern = pattern
            self.until = until
            self.reason = reason
            self.added = added
        }

        var json: JSONValue {
            var members: [(String, JSONValue)] = [("pattern", .string(pattern.pattern))]
            members.append(("until", until.map { .string(ControlTime.text($0)) } ?? .null))
            members.append(("reason", reason.map { .string($0) } ?? .null))
            members.append(("added", .string(ControlTime.text(added))))
            return .object(members)
        }
    }

    /// Why the stored list could not be read or written.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let directory: URL
    public var path: String { directory.appendingPathComponent("blocklist.json").path }

    public init(directory: URL) {
        self.directory = directory
    }

    /// The stored entries; none when there is no file yet. A file that is not a list this
    /// daemon wrote is an error, not an empty list: starting without its blocks would let a
    /// blocked laptop back in.
    public func load() throws(Failure) -> [Entry] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { throw Failure(description: "\(path) cannot be read") }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw Failure(description: "\(path) is not JSON: \(error)")
        }
        guard value["version"]?.integerValue == 1, let blocks = value["blocks"]?.arrayValue else {
            throw Failure(description: "\(path) is not a version 1 block list")
        }
        var entries: [Entry] = []
        for (index, block) in blocks.enumerated() {
            guard let text = block["pattern"]?.stringValue, let pattern = WildcardPattern(text),
                let addedText = block["added"]?.stringValue, let added = ControlTime.date(addedText)
            else { throw Failure(description: "\(path): blocks[\(index)] has no valid pattern and added time") }
            var until: Date?
            if let untilText = block["until"]?.stringValue {
                guard let date = ControlTime.date(untilText) else {
                    throw Failure(description: "\(path): blocks[\(index)].until is not an RFC 3339 time")
                }
                until = date
            }
            entries.append(Entry(pattern: pattern, until: until, reason: block["reason"]?.stringValue, added: added))
        }
        return entries
    }

    /// Replaces the stored list with `entries`, durably.
    public func save(_ entries: [Entry]) throws(Failure) {
        let document = JSONValue.object([("version", 1), ("blocks", .array(entries.map(\.json)))])
        do {
            try Self.writeAtomically(Array((document.prettyText + "\n").utf8), to: path)
        } catch {
            throw Failure(description: "cannot write \(path): \(error)")
        }
    }

    /// Writes `bytes` to a temporary file beside `path`, flushes it, renames it over `path` and
    /// flushes the directory; mode 0600.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }
}
