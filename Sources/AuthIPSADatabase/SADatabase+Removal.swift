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
        mainModeSlotsByID[id].map { removeMainMode(slot: $0) }
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
        quickModeSlotsByID[id].map { removeQuickMode(slot: $0) }
    }

    /// Removes the Quick Mode SAs a filter selects, by id.
    @discardableResult
    public mutating func removeQuickModes(matching filter: QuickModeSAFilter) -> [QuickModeSARecord] {
        let slots = quickModeSlots(matching: filter).map { (id: quickModes[$0].id, slot: $0) }.sorted { $0.id < $1.id }
        return slots.map { removeQuickMode(slot: $0.slot) }
    }

    mutating func removeMainMode(slot: UInt32) -> RemovedMainMode {
        let children = quickModesByMainMode.slots(under: slot).map { removeQuickMode(slot: $0) }.sorted { $0.id < $1.id }
        let record = mainModes.remove(slot)
        mainModeSlotsByID[record.id] = nil
        mainModeSlotsByCookies[record.cookies] = nil
        mainModesByRemoteAddress.remove(slot, under: record.remote.ip.hashValue)
        if let identity = record.remoteIdentity {
            mainModesByRemoteIdentity.remove(slot, under: CaseInsensitive.hash(identity))
        }
        if let identity = record.remoteSecondIdentity {
            mainModesByRemoteSecondIdentity.remove(slot, under: CaseInsensitive.hash(identity))
        }
        mainModeExpiry.remove(slot)
        return RemovedMainMode(mainMode: record, quickModes: children)
    }

    mutating func removeQuickMode(slot: UInt32) -> QuickModeSARecord {
        let record = quickModes.remove(slot)
        quickModeSlotsByID[record.id] = nil
        quickModeSlotsByInboundSPI[record.inboundSPI] = nil
        quickModesByOutboundSPI.remove(slot, under: record.outboundSPI)
        quickModesByMainMode.remove(slot, under: mainModeSlotsByID[record.mainModeID]!)
        quickModeExpiry.remove(slot)
        return record
    }
}
