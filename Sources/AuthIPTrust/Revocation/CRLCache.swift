import AuthIPCrypto
import AuthIPJSON
import AuthIPWire
import Foundation

/// The local CRL cache, like Windows' URL cache: CRLs keyed by issuer and source (the URL
/// they came from, or the file they were imported from), each parsed once. With a directory
/// it persists: one DER file per CRL and an `index.json` with issuer, source, thisUpdate,
/// nextUpdate and the number of entries.
///
/// Issues of one list (same issuer and scope) only move forward: an older one than the cache
/// holds is refused, a newer one replaces the older. The cache is bounded in lists and bytes;
/// past either bound the oldest insertions go. What enters it is the caller's to vouch for:
/// `CertificateValidation` inserts only downloads whose signature verified with the issuer of
/// the certificate that named them; imports are the administrator's.
///
/// Downloads that a validation inserts stay in memory (`insert(_:source:persistent:)` with
/// `persistent: false`): the engine does no I/O inside `handle`. The driver writes them out
/// with `saveIfChanged()` on a thread of its own.
public final class CRLCache: @unchecked Sendable {
    /// One cached CRL and where it came from.
    public struct Entry: Sendable {
        public let list: RevocationList
        public let source: String
    }

    public let directory: URL?
    /// The most lists, and the most DER bytes, the cache holds.
    public let maximumEntries: Int
    public let maximumBytes: Int
    private let lock = NSLock()
    private var entries: [Entry] = []
    private var bytes = 0
    /// Lists inserted in memory only since the directory was last written.
    private var unsaved = false

    /// An empty cache in memory only.
    public init(maximumEntries: Int = 1_024, maximumBytes: Int = 512 << 20) {
        directory = nil
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    /// The cache stored in `directory` (created if missing), loading what it holds.
    public init(directory: URL, maximumEntries: Int = 1_024, maximumBytes: Int = 512 << 20) throws {
        self.directory = directory
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let indexURL = directory.appendingPathComponent("index.json")
        guard let text = try? String(contentsOf: indexURL, encoding: .utf8) else { return }
        for item in (try JSONValue(parsing: text)).arrayValue ?? [] {
            guard let file = item["file"]?.stringValue, let source = item["source"]?.stringValue,
                let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path),
                let list = try? RevocationList(Array(data))
            else { continue }
            store(Entry(list: list, source: source))
        }
    }

    /// Adds a CRL from `source`, replacing the one the cache held for the same issuer and
    /// source and the earlier issues of the same list, and stores it in the cache's directory
    /// unless `persistent` is false (then `saveIfChanged` writes it later). Returns the parsed list. Throws `olderThanCached` when the
    /// cache holds a later issue.
    @discardableResult
    public func insert(_ data: [UInt8], source: String, persistent: Bool = true) throws -> RevocationList {
        let list = try RevocationList(data)
        try insert(list, source: source, persistent: persistent)
        return list
    }

    /// Adds an already parsed CRL.
    public func insert(_ list: RevocationList, source: String, persistent: Bool = true) throws {
        lock.lock()
        if let later = entries.first(where: {
            $0.list.scope == list.scope && $0.list.issuer == list.issuer && $0.list.supersedes(list)
        }) {
            lock.unlock()
            throw TrustInputError.olderThanCached(
                "\(list.issuer): \(Self.describe(list)) after \(Self.describe(later.list))")
        }
        store(Entry(list: list, source: source))
        if !persistent, directory != nil { unsaved = true }
        lock.unlock()
        if persistent { try persist() }
    }

    /// Whether lists inserted in memory only wait to be written to the directory.
    public var hasUnsavedChanges: Bool {
        lock.lock()
        defer { lock.unlock() }
        return unsaved
    }

    /// Writes the directory when lists were inserted in memory only since it was last written.
    /// Returns whether it wrote.
    @discardableResult
    public func saveIfChanged() throws -> Bool {
        lock.lock()
        let changed = unsaved
        unsaved = false
        lock.unlock()
        guard changed else { return false }
        do {
            try persist()
        } catch {
            lock.lock()
            unsaved = true
            lock.unlock()
            throw error
        }
        return true
    }

    /// Adds an entry (the lock held): drops what it replaces, then the oldest past the bounds.
    private func store(_ entry: Entry) {
        let list = entry.list
        entries.removeAll { held in
            let replaced =
                held.list.issuer == list.issuer
                && (held.source == entry.source || (held.list.scope == list.scope && list.supersedes(held.list)))
            if replaced { bytes -= held.list.der.count }
            return replaced
        }
        entries.append(entry)
        bytes += list.der.count
        while entries.count > 1, entries.count > maximumEntries || bytes > maximumBytes {
            bytes -= entries.removeFirst().list.der.count
        }
    }

    private static func describe(_ list: RevocationList) -> String {
        list.number.map { "number 0x" + Hex.encode($0) }
            ?? "thisUpdate \(ISO8601DateFormatter().string(from: list.thisUpdate))"
    }

    /// Every cached CRL, oldest insertion first.
    public var all: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }

    /// The CRLs issued under the name with this OpenSSL hash.
    func lists(issuerHash: UInt) -> [RevocationList] {
        all.map(\.list).filter { $0.issuerHash == issuerHash }
    }

    /// Drops the CRLs whose nextUpdate is before `date`; returns how many.
    @discardableResult
    public func purgeExpired(at date: Date) throws -> Int {
        lock.lock()
        let before = entries.count
        entries.removeAll { entry in
            let expired = (entry.list.nextUpdate ?? .distantFuture) < date
            if expired { bytes -= entry.list.der.count }
            return expired
        }
        let removed = before - entries.count
        lock.unlock()
        if removed > 0 { try persist() }
        return removed
    }

    /// One line per CRL, as `authip crl list` prints them.
    public func listing() -> [String] {
        let format = ISO8601DateFormatter()
        return all.map { entry in
            let next = entry.list.nextUpdate.map(format.string(from:)) ?? "-"
            return
                "\(entry.list.issuer) | thisUpdate \(format.string(from: entry.list.thisUpdate)) | nextUpdate \(next) | "
                + "\(entry.list.entryCount) entries\(entry.list.isDelta ? " (delta)" : "") | \(entry.source)"
        }
    }

    private func persist() throws {
        guard let directory else { return }
        let format = ISO8601DateFormatter()
        var index: [JSONValue] = []
        for entry in all {
            let file = Hex.encode(entry.list.fingerprint.prefix(16)) + ".crl"
            let url = directory.appendingPathComponent(file)
            if !FileManager.default.fileExists(atPath: url.path) {
                try Data(entry.list.der).write(to: url, options: .atomic)
            }
            index.append(
                .object([
                    ("file", .string(file)), ("source", .string(entry.source)), ("issuer", .string(entry.list.issuer)),
                    ("thisUpdate", .string(format.string(from: entry.list.thisUpdate))),
                    ("nextUpdate", entry.list.nextUpdate.map { .string(format.string(from: $0)) } ?? .null),
                    ("entries", .number(entry.list.entryCount)), ("delta", .bool(entry.list.isDelta)),
                ]))
        }
        let kept = Set(index.compactMap { $0["file"]?.stringValue })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasSuffix(".crl") && !kept.contains(name) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        try (JSONValue.array(index).prettyText + "\n").write(
            to: directory.appendingPathComponent("index.json"), atomically: true, encoding: .utf8)
    }
}
