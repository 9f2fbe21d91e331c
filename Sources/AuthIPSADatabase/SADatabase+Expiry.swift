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
        (
            Self.due(mainModeExpiry, by: date) { mainModes[$0].id }.map(\.id),
            Self.due(quickModeExpiry, by: date) { quickModes[$0].id }.map(\.id)
        )
    }

    /// Removes the SAs whose expiry is at or before `date` and returns them: first the Quick
    /// Mode SAs that expired, then the Main Mode SAs that expired with their remaining Quick
    /// Mode SAs.
    public mutating func removeExpired(at date: Date) -> ExpiredSAs {
        let dueQuickModes = Self.due(quickModeExpiry, by: date) { quickModes[$0].id }
        let expiredQuickModes = dueQuickModes.map { removeQuickMode(slot: $0.slot) }
        let dueMainModes = Self.due(mainModeExpiry, by: date) { mainModes[$0].id }
        let expiredMainModes = dueMainModes.map { removeMainMode(slot: $0.slot) }
        return ExpiredSAs(mainModes: expiredMainModes, quickModes: expiredQuickModes)
    }

    /// The slots and ids due by `date`, by expiry then id.
    private static func due(_ queue: ExpiryQueue, by date: Date, id: (UInt32) -> UInt64) -> [(slot: UInt32, id: UInt64)]
    {
        queue.entries(dueBy: date)
            .map { (deadline: $0.deadline, slot: $0.slot, id: id($0.slot)) }
            .sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
            .map { ($0.slot, $0.id) }
    }
}
