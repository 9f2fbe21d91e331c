import Foundation

/// The SAs a sweep removed because their lifetimes ran out.
public struct ExpiredSAs: Hashable, Sendable {
    /// Main Mode SAs that expired, by expiry then id, each with the Quick Mode SAs it still
    /// keyed.
    public var mainModes: [RemovedMainMode]
    /// Quick Mode SAs that expired on their own, by expiry then id.
    public var quickModes: [QuickModeSARecord]

    public var isEmpty: Bool { mainModes.isEmpty && quickModes.isEmpty }
}

extension SADatabase {
    /// The earliest expiry of any SA: when the engine should next sweep. O(1).
    public var nextExpiry: Date? {
        switch (mainModeExpiry.first?.deadline, quickModeExpiry.first?.deadline) {
        case (let a?, let b?): return min(a, b)
        case (let a?, nil): return a
        case (nil, let b): return b
        }
    }

    /// The ids of the SAs whose expiry is at or before `date`, each list by expiry then id.
    /// Quick Mode SAs are listed by their own expiry only, not their Main Mode SA's.
    /// O(k log k) for k results.
    public func expired(at date: Date) -> (mainModes: [UInt64], quickModes: [UInt64]) {
        (mainModeExpiry.entries(dueBy: date).map { (entry: $0, id: mainModes[$0.slot].id) }.sorted(by: Self.byDeadlineThenID).map(\.id),
         quickModeExpiry.entries(dueBy: date).map { (entry: $0, id: quickModes[$0.slot].id) }.sorted(by: Self.byDeadlineThenID).map(\.id))
    }

    /// Removes the SAs whose expiry is at or before `date` and returns them: first the Quick
    /// Mode SAs that expired, then the Main Mode SAs that expired with their remaining Quick
    /// Mode SAs.
    public mutating func removeExpired(at date: Date) -> ExpiredSAs {
        let (mainModeIDs, quickModeIDs) = expired(at: date)
        let quickModes = quickModeIDs.compactMap { removeQuickMode(id: $0) }
        let mainModes = mainModeIDs.compactMap { removeMainMode(id: $0) }
        return ExpiredSAs(mainModes: mainModes, quickModes: quickModes)
    }

    private static func byDeadlineThenID(_ a: (entry: ExpiryQueue.Entry, id: UInt64), _ b: (entry: ExpiryQueue.Entry, id: UInt64)) -> Bool {
        (a.entry.deadline, a.id) < (b.entry.deadline, b.id)
    }
}
