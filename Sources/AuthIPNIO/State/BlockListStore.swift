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

        /// The entry as the block list file and the cluster's block keys hold it.
        public var json: JSONValue {
            var members: [(String, JSONValue)] = [("pattern", .string(pattern.pattern))]
            members.append(("until", until.map { .string(ControlTime.text($0)) } ?? .null))
            members.append(("reason", reason.map { .string($0) } ?? .null))
            members.append(("added", .string(ControlTime.text(added))))
            return .object(members)
        }

        /// Reads an entry `json` wrote; nil for anything else (a pattern that is not -like, a
        /// time that is not RFC 3339, a reason too long or with control characters).
        public init?(json value: JSONValue) {
            guard let text = value["pattern"]?.stringValue, let pattern = WildcardPattern(text),
                let addedText = value["added"]?.stringValue, let added = ControlTime.date(addedText)
            else { return nil }
            var until: Date?
            if let untilValue = value["until"], untilValue != .null {
                guard let untilText = untilValue.stringValue, let date = ControlTime.date(untilText) else { return nil }
                until = date
            }
            var reason: String?
            if let reasonValue = value["reason"], reasonValue != .null {
                guard let text = reasonValue.stringValue, (1...1_024).contains(text.utf8.count),
                    !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
                else { return nil }
                reason = text
            }
            self.init(pattern: pattern, until: until, reason: reason, added: added)
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
            guard let entry = Entry(json: block) else {
                throw Failure(
                    description: "\(path): blocks[\(index)] is not a valid block (pattern, added, until, reason)")
            }
            entries.append(entry)
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
