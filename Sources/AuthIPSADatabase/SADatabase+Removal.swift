/// A Main Mode SA taken out of the database, with the Quick Mode SAs it keyed, which leave
/// with it.
public struct RemovedMainMode: Hashable, Sendable {
    public var mainMode: MainModeSARecord
    /// By id.
    public var quickModes: [QuickModeSARecord]

    public init(mainMode: MainModeSARecord, quickModes: [QuickModeSARecord]) {
        self.mainMode = mainMode
        self.quickModes = quickModes
    }
}

extension SADatabase {
    /// Removes a Main Mode SA and its Quick Mode SAs; nil when there is no such SA.
    @discardableResult
    public mutating func removeMainMode(id: UInt64) -> RemovedMainMode? {
        mainModeIDs.slot(for: id, in: mainModes).map { removeMainMode(slot: $0) }
    }

    /// Removes the Main Mode SAs a filter selects, each with its Quick Mode SAs, by id.
    @discardableResult
    public mutating func removeMainModes(matching filter: MainModeSAFilter) -> [RemovedMainMode] {
        let slots = mainModeSlots(matching: filter).map { (id: mainModes[$0].id, slot: $0) }.sorted { $0.id < $1.id }
        return slots.map { removeMainMode(slot: $0.slot) }
    }

    /// Removes a Quick Mode SA; nil when there is no such SA.
    @discardableResult
    public mutating func removeQuickMode(id: UInt64) -> QuickModeSARecord? {
        quickModeIDs.slot(for: id, in: quickModes).map { removeQuickMode(slot: $0) }
    }

    /// Removes the Quick Mode SAs a filter selects, by id.
    @discardableResult
    public mutating func removeQuickModes(matching filter: QuickModeSAFilter) -> [QuickModeSARecord] {
        let slots = quickModeSlots(matching: filter).map { (id: quickModes[$0].id, slot: $0) }.sorted { $0.id < $1.id }
        return slots.map { removeQuickMode(slot: $0.slot) }
    }

    mutating func removeMainMode(slot: UInt32) -> RemovedMainMode {
        let children = quickModesByMainMode.children(of: slot).map { removeQuickMode(slot: $0, parent: slot) }.sorted {
            $0.id < $1.id
        }
        let record = mainModes[slot]
        mainModeIDs.remove(slot, value: record.id)
        mainModeCookies.remove(slot, value: record.cookies)
        mainModeRemoteAddresses.remove(slot, value: record.remote.ip)
        if let identity = record.remoteIdentity { mainModeRemoteIdentities.remove(slot, value: identity) }
        if let identity = record.remoteSecondIdentity { mainModeRemoteSecondIdentities.remove(slot, value: identity) }
        mainModeExpiry.remove(slot)
        mainModes.remove(slot)
        mainModeIdentityTrigrams.remove(slot, record, in: mainModes)
        return RemovedMainMode(mainMode: record, quickModes: children)
    }

    mutating func removeQuickMode(slot: UInt32, parent: UInt32? = nil) -> QuickModeSARecord {
        let record = quickModes[slot]
        quickModeIDs.remove(slot, value: record.id)
        quickModeInboundSPIs.remove(slot, value: record.inboundSPI)
        quickModeOutboundSPIs.remove(slot, value: record.outboundSPI)
        quickModesByMainMode.remove(slot, under: parent ?? mainModeIDs.slot(for: record.mainModeID, in: mainModes)!)
        quickModeExpiry.remove(slot)
        quickModes.remove(slot)
        return record
    }
}
