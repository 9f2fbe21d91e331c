import AuthIPSADatabase
import Foundation

/// Identities refused at once and until a time (seed 003: a stolen laptop is cut off now; a
/// user is disabled until they travel again). Patterns use PowerShell `-like` rules.
public struct BlockList: Sendable {
    /// One blocked pattern and when the block ends.
    public struct Entry: Sendable, Hashable {
        public var pattern: WildcardPattern
        /// nil: until unblocked.
        public var until: Date?
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    mutating func block(_ pattern: WildcardPattern, until: Date?) {
        entries.removeAll { $0.pattern == pattern }
        entries.append(Entry(pattern: pattern, until: until))
    }

    mutating func unblock(_ pattern: WildcardPattern) {
        entries.removeAll { $0.pattern == pattern }
    }

    /// Whether any of these names of one peer is blocked at `now`.
    func blocks(_ names: [String], at now: Date) -> Bool {
        entries.contains { entry in
            (entry.until.map { $0 > now } ?? true) && names.contains { entry.pattern.matches($0) }
        }
    }

    /// Drops the entries whose time is over.
    mutating func prune(at now: Date) {
        entries.removeAll { $0.until.map { $0 <= now } ?? false }
    }
}
