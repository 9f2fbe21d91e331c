import AuthIPCrypto
import AuthIPJSON
import AuthIPWire
import Foundation

/// The local CRL cache, like Windows' URL cache: CRLs keyed by issuer and source (the URL
/// they came from, or the file they were imported from), each parsed once. With a directory
/// it persists: one DER file per CRL and an `index.json` with issuer, source, thisUpdate,
/// nextUpdate and the number of entries.
public final class CRLCache: @unchecked Sendable {
    /// One cached CRL and where it came from.
    public struct Entry: Sendable {
        public let list: RevocationList
        public let source: String
    }

    public let directory: URL?
    private let lock = NSLock()
    private var entries: [Entry] = []

    /// An empty cache in memory only.
    public init() {
        directory = nil
    }

    /// The cache stored in `directory` (created if missing), loading what it holds.
    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let indexURL = directory.appendingPathComponent("index.json")
        guard let text = try? String(contentsOf: indexURL, encoding: .utf8) else { return }
        for item in (try JSONValue(parsing: text)).arrayValue ?? [] {
            guard let file = item["file"]?.stringValue, let source = item["source"]?.stringValue,
                  let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path),
                  let list = try? RevocationList(Array(data)) else { continue }
            entries.append(Entry(list: list, source: source))
        }
    }

    /// Adds a CRL from `source`, replacing the one the cache held for the same issuer and
    /// source, and stores it in the cache's directory unless `persistent` is false. Returns
    /// the parsed list.
    @discardableResult
    public func insert(_ data: [UInt8], source: String, persistent: Bool = true) throws -> RevocationList {
        let list = try RevocationList(data)
        try insert(list, source: source, persistent: persistent)
        return list
    }

    /// Adds an already parsed CRL.
    public func insert(_ list: RevocationList, source: String, persistent: Bool = true) throws {
        lock.lock()
        entries.removeAll { $0.source == source && $0.list.issuer == list.issuer }
        entries.append(Entry(list: list, source: source))
        lock.unlock()
        if persistent { try persist() }
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
        entries.removeAll { ($0.list.nextUpdate ?? .distantFuture) < date }
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
            return "\(entry.list.issuer) | thisUpdate \(format.string(from: entry.list.thisUpdate)) | nextUpdate \(next) | "
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
            index.append(.object([
                ("file", .string(file)), ("source", .string(entry.source)), ("issuer", .string(entry.list.issuer)),
                ("thisUpdate", .string(format.string(from: entry.list.thisUpdate))),
                ("nextUpdate", entry.list.nextUpdate.map { .string(format.string(from: $0)) } ?? .null),
                ("entries", .number(entry.list.entryCount)), ("delta", .bool(entry.list.isDelta)),
            ]))
        }
        let kept = Set(index.compactMap { $0["file"]?.stringValue })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasSuffix(".crl") && !kept.contains(name) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        try (JSONValue.array(index).prettyText + "\n").write(to: directory.appendingPathComponent("index.json"), atomically: true, encoding: .utf8)
    }
}
