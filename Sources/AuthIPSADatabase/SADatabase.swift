import AuthIPWire
import Foundation

/// The established Main Mode and Quick Mode SAs of one host, indexed for the engine's
/// lookups: Main Mode SAs by id, cookie pair, remote address and remote identity; Quick Mode
/// SAs by id, inbound SPI, outbound SPI and Main Mode SA. Every Quick Mode SA belongs to a
/// Main Mode SA in the database, and leaves with it. A value type that does no I/O and reads
/// no clock: expiry is asked about at a `Date` the caller passes in.
///
/// Records live once, in slot arrays; the indexes hold 4-byte slots, and the multi-valued
/// ones are linked lists threaded through per-slot arrays rather than arrays per key.
public struct SADatabase: Sendable {
    var mainModes = SlotStore<MainModeSARecord>()
    var mainModeSlotsByID: [UInt64: UInt32] = [:]
    var mainModeSlotsByCookies: [CookiePair: UInt32] = [:]
    /// Keyed by the hash of the remote IP address (readers confirm the address): an `Int`
    /// key is a third of the size of an `IPAddress` one.
    var mainModesByRemoteAddress = SlotChains<Int>()
    /// Keyed by the case-insensitive hash of the first and of the second remote identity.
    var mainModesByRemoteIdentity = SlotChains<Int>()
    var mainModesByRemoteSecondIdentity = SlotChains<Int>()
    var mainModeExpiry = ExpiryQueue()

    var quickModes = SlotStore<QuickModeSARecord>()
    var quickModeSlotsByID: [UInt64: UInt32] = [:]
    var quickModeSlotsByInboundSPI: [UInt32: UInt32] = [:]
    /// Outbound SPIs are chosen by the peers, so two peers may choose the same one.
    var quickModesByOutboundSPI = SlotChains<UInt32>()
    /// Keyed by the slot of the Main Mode SA.
    var quickModesByMainMode = SlotChains<UInt32>()
    var quickModeExpiry = ExpiryQueue()

    public init() {}

    /// Makes room for this many SAs without regrowing the stores and indexes.
    public mutating func reserveCapacity(mainModes mainModeCapacity: Int, quickModes quickModeCapacity: Int) {
        mainModes.reserveCapacity(mainModeCapacity)
        mainModeSlotsByID.reserveCapacity(mainModeCapacity)
        mainModeSlotsByCookies.reserveCapacity(mainModeCapacity)
        mainModesByRemoteAddress.reserveCapacity(slots: mainModeCapacity)
        mainModesByRemoteIdentity.reserveCapacity(slots: mainModeCapacity)
        mainModesByRemoteSecondIdentity.reserveCapacity(slots: mainModeCapacity)
        mainModeExpiry.reserveCapacity(mainModeCapacity)
        quickModes.reserveCapacity(quickModeCapacity)
        quickModeSlotsByID.reserveCapacity(quickModeCapacity)
        quickModeSlotsByInboundSPI.reserveCapacity(quickModeCapacity)
        quickModesByOutboundSPI.reserveCapacity(slots: quickModeCapacity)
        quickModesByMainMode.reserveCapacity(slots: quickModeCapacity)
        quickModeExpiry.reserveCapacity(quickModeCapacity)
    }

    public var mainModeCount: Int { mainModes.count }
    public var quickModeCount: Int { quickModes.count }

    // MARK: Insertion

    /// Adds a Main Mode SA; its id and cookie pair must be new.
    public mutating func insert(_ record: MainModeSARecord) throws(SADatabaseError) {
        guard mainModeSlotsByID[record.id] == nil else { throw .duplicateMainModeID(record.id) }
        guard mainModeSlotsByCookies[record.cookies] == nil else { throw .duplicateCookiePair(record.cookies) }
        let slot = mainModes.insert(record)
        mainModeSlotsByID[record.id] = slot
        mainModeSlotsByCookies[record.cookies] = slot
        mainModesByRemoteAddress.insert(slot, under: record.remote.ip.hashValue)
        if let identity = record.remoteIdentity {
            mainModesByRemoteIdentity.insert(slot, under: CaseInsensitive.hash(identity))
        }
        if let identity = record.remoteSecondIdentity {
            mainModesByRemoteSecondIdentity.insert(slot, under: CaseInsensitive.hash(identity))
        }
        mainModeExpiry.insert(slot, deadline: record.expires)
    }

    /// Adds a Quick Mode SA; its id and inbound SPI must be new and its Main Mode SA present.
    public mutating func insert(_ record: QuickModeSARecord) throws(SADatabaseError) {
        guard quickModeSlotsByID[record.id] == nil else { throw .duplicateQuickModeID(record.id) }
        guard let parent = mainModeSlotsByID[record.mainModeID] else { throw .mainModeNotFound(record.mainModeID) }
        guard quickModeSlotsByInboundSPI[record.inboundSPI] == nil else { throw .duplicateInboundSPI(record.inboundSPI) }
        let slot = quickModes.insert(record)
        quickModeSlotsByID[record.id] = slot
        quickModeSlotsByInboundSPI[record.inboundSPI] = slot
        quickModesByOutboundSPI.insert(slot, under: record.outboundSPI)
        quickModesByMainMode.insert(slot, under: parent)
        quickModeExpiry.insert(slot, deadline: record.expires)
    }

    // MARK: Lookup

    public func mainMode(id: UInt64) -> MainModeSARecord? {
        mainModeSlotsByID[id].map { mainModes[$0] }
    }

    public func mainMode(cookies: CookiePair) -> MainModeSARecord? {
        mainModeSlotsByCookies[cookies].map { mainModes[$0] }
    }

    /// The Main Mode SAs with this remote IP address (any port), by id.
    public func mainModes(remoteAddress: IPAddress) -> [MainModeSARecord] {
        mainModeSlots(remoteAddress: remoteAddress).map { mainModes[$0] }.sorted { $0.id < $1.id }
    }

    /// The Main Mode SAs whose first or second remote identity is `identity`, ignoring case,
    /// by id.
    public func mainModes(remoteIdentity identity: String) -> [MainModeSARecord] {
        mainModeSlots(remoteIdentity: identity, scope: .either).map { mainModes[$0] }.sorted { $0.id < $1.id }
    }

    public func quickMode(id: UInt64) -> QuickModeSARecord? {
        quickModeSlotsByID[id].map { quickModes[$0] }
    }

    /// The Quick Mode SA that inbound packets with this SPI belong to.
    public func quickMode(inboundSPI spi: UInt32) -> QuickModeSARecord? {
        quickModeSlotsByInboundSPI[spi].map { quickModes[$0] }
    }

    /// The Quick Mode SAs whose peer chose this SPI, by id: more than one when peers chose
    /// alike.
    public func quickModes(outboundSPI spi: UInt32) -> [QuickModeSARecord] {
        quickModesByOutboundSPI.slots(under: spi).map { quickModes[$0] }.sorted { $0.id < $1.id }
    }

    /// The Quick Mode SAs keyed by a Main Mode SA, by id.
    public func quickModes(mainModeID: UInt64) -> [QuickModeSARecord] {
        guard let parent = mainModeSlotsByID[mainModeID] else { return [] }
        return quickModesByMainMode.slots(under: parent).map { quickModes[$0] }.sorted { $0.id < $1.id }
    }

    /// Where packets of a Quick Mode SA go: the tunnel's remote end, else the peer.
    public func destination(of record: QuickModeSARecord) -> IPAddress? {
        if case .tunnel(_, let remote) = record.encapsulation { return remote }
        return mainMode(id: record.mainModeID)?.remote.ip
    }

    // MARK: Index reads shared by the queries

    func mainModeSlots(remoteAddress: IPAddress) -> [UInt32] {
        mainModesByRemoteAddress.slots(under: remoteAddress.hashValue).filter { mainModes[$0].remote.ip == remoteAddress }
    }

    func mainModeSlots(remoteIdentity identity: String, scope: IdentityScope) -> [UInt32] {
        let key = CaseInsensitive.hash(identity)
        func matches(_ candidate: String?) -> Bool { candidate.map { CaseInsensitive.equal($0, identity) } ?? false }
        var slots: [UInt32] = []
        if scope != .second {
            slots = mainModesByRemoteIdentity.slots(under: key).filter { matches(mainModes[$0].remoteIdentity) }
        }
        if scope != .first {
            // A record whose first identity also matches was found above.
            slots += mainModesByRemoteSecondIdentity.slots(under: key).filter {
                matches(mainModes[$0].remoteSecondIdentity) && (scope == .second || !matches(mainModes[$0].remoteIdentity))
            }
        }
        return slots
    }
}
