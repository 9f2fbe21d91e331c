import AuthIPWire
import Foundation

/// The established Main Mode and Quick Mode SAs of one host, indexed for the engine's
/// lookups: Main Mode SAs by id, cookie pair, remote address and remote identity (exact, and
/// by trigrams for wildcard patterns); Quick Mode
/// SAs by id, inbound SPI, outbound SPI and Main Mode SA. Every Quick Mode SA belongs to a
/// Main Mode SA in the database, and leaves with it. A value type that does no I/O and reads
/// no clock: expiry is asked about at a `Date` the caller passes in.
///
/// Records live once, in slot arrays. The indexes hold nothing but 4-byte slots, reading keys
/// from the records; multi-valued ones link their slots through per-slot arrays rather than
/// keeping an array per key.
public struct SADatabase: Sendable {
    var mainModes = SlotStore<MainModeSARecord>()
    var mainModeIDs = SlotIndex<MainModeIDKey>()
    var mainModeCookies = SlotIndex<CookiePairKey>()
    var mainModeRemoteAddresses = SlotChains<RemoteAddressKey>()
    var mainModeRemoteIdentities = SlotChains<RemoteIdentityKey>()
    var mainModeRemoteSecondIdentities = SlotChains<RemoteSecondIdentityKey>()
    /// For wildcard queries on remote identities.
    var mainModeIdentityTrigrams = IdentityTrigrams()
    var mainModeExpiry = ExpiryQueue()

    var quickModes = SlotStore<QuickModeSARecord>()
    var quickModeIDs = SlotIndex<QuickModeIDKey>()
    var quickModeInboundSPIs = SlotIndex<InboundSPIKey>()
    /// Outbound SPIs are chosen by the peers, so two peers may choose the same one.
    var quickModeOutboundSPIs = SlotChains<OutboundSPIKey>()
    /// Keyed by the slot of the Main Mode SA.
    var quickModesByMainMode = ChildLists()
    var quickModeExpiry = ExpiryQueue()

    public init() {}

    /// Makes room for this many SAs without regrowing the stores and indexes.
    public mutating func reserveCapacity(mainModes mainModeCapacity: Int, quickModes quickModeCapacity: Int) {
        mainModes.reserveCapacity(mainModeCapacity)
        mainModeIDs.reserveCapacity(mainModeCapacity, in: mainModes)
        mainModeCookies.reserveCapacity(mainModeCapacity, in: mainModes)
        mainModeRemoteAddresses.reserveCapacity(mainModeCapacity, in: mainModes)
        mainModeRemoteIdentities.reserveCapacity(mainModeCapacity, in: mainModes)
        mainModeExpiry.reserveCapacity(mainModeCapacity)
        quickModes.reserveCapacity(quickModeCapacity)
        quickModeIDs.reserveCapacity(quickModeCapacity, in: quickModes)
        quickModeInboundSPIs.reserveCapacity(quickModeCapacity, in: quickModes)
        quickModeOutboundSPIs.reserveCapacity(quickModeCapacity, in: quickModes)
        quickModesByMainMode.reserveCapacity(parents: mainModeCapacity, children: quickModeCapacity)
        quickModeExpiry.reserveCapacity(quickModeCapacity)
    }

    public var mainModeCount: Int { mainModes.count }
    public var quickModeCount: Int { quickModes.count }

    // MARK: Insertion

    /// Adds a Main Mode SA; its id and cookie pair must be new.
    public mutating func insert(_ record: MainModeSARecord) throws(SADatabaseError) {
        guard mainModeIDs.slot(for: record.id, in: mainModes) == nil else { throw .duplicateMainModeID(record.id) }
        guard mainModeCookies.slot(for: record.cookies, in: mainModes) == nil else {
            throw .duplicateCookiePair(record.cookies)
        }
        let slot = mainModes.insert(record)
        mainModeIDs.insert(slot, value: record.id, in: mainModes)
        mainModeCookies.insert(slot, value: record.cookies, in: mainModes)
        mainModeRemoteAddresses.insert(slot, value: record.remote.ip, in: mainModes)
        if let identity = record.remoteIdentity {
            mainModeRemoteIdentities.insert(slot, value: identity, in: mainModes)
        }
        if let identity = record.remoteSecondIdentity {
            mainModeRemoteSecondIdentities.insert(slot, value: identity, in: mainModes)
        }
        mainModeIdentityTrigrams.insert(slot, record)
        mainModeExpiry.insert(slot, deadline: record.expires)
    }

    /// Adds a Quick Mode SA; its id and inbound SPI must be new and its Main Mode SA present.
    public mutating func insert(_ record: QuickModeSARecord) throws(SADatabaseError) {
        guard quickModeIDs.slot(for: record.id, in: quickModes) == nil else { throw .duplicateQuickModeID(record.id) }
        guard let parent = mainModeIDs.slot(for: record.mainModeID, in: mainModes) else {
            throw .mainModeNotFound(record.mainModeID)
        }
        guard quickModeInboundSPIs.slot(for: record.inboundSPI, in: quickModes) == nil else {
            throw .duplicateInboundSPI(record.inboundSPI)
        }
        let slot = quickModes.insert(record)
        quickModeIDs.insert(slot, value: record.id, in: quickModes)
        quickModeInboundSPIs.insert(slot, value: record.inboundSPI, in: quickModes)
        quickModeOutboundSPIs.insert(slot, value: record.outboundSPI, in: quickModes)
        quickModesByMainMode.insert(slot, under: parent)
        quickModeExpiry.insert(slot, deadline: record.expires)
    }

    // MARK: Lookup

    public func mainMode(id: UInt64) -> MainModeSARecord? {
        mainModeIDs.slot(for: id, in: mainModes).map { mainModes[$0] }
    }

    public func mainMode(cookies: CookiePair) -> MainModeSARecord? {
        mainModeCookies.slot(for: cookies, in: mainModes).map { mainModes[$0] }
    }

    /// The Main Mode SAs with this remote IP address (any port), by id.
    public func mainModes(remoteAddress: IPAddress) -> [MainModeSARecord] {
        mainModeRemoteAddresses.slots(for: remoteAddress, in: mainModes).map { mainModes[$0] }.sorted { $0.id < $1.id }
    }

    /// The Main Mode SAs whose first or second remote identity is `identity`, ignoring case,
    /// by id.
    public func mainModes(remoteIdentity identity: String) -> [MainModeSARecord] {
        mainModeSlots(remoteIdentity: identity, scope: .either).map { mainModes[$0] }.sorted { $0.id < $1.id }
    }

    public func quickMode(id: UInt64) -> QuickModeSARecord? {
        quickModeIDs.slot(for: id, in: quickModes).map { quickModes[$0] }
    }

    /// The Quick Mode SA that inbound packets with this SPI belong to.
    public func quickMode(inboundSPI spi: UInt32) -> QuickModeSARecord? {
        quickModeInboundSPIs.slot(for: spi, in: quickModes).map { quickModes[$0] }
    }

    /// The Quick Mode SAs whose peer chose this SPI, by id: more than one when peers chose
    /// alike.
    public func quickModes(outboundSPI spi: UInt32) -> [QuickModeSARecord] {
        quickModeOutboundSPIs.slots(for: spi, in: quickModes).map { quickModes[$0] }.sorted { $0.id < $1.id }
    }

    /// The Quick Mode SAs keyed by a Main Mode SA, by id.
    public func quickModes(mainModeID: UInt64) -> [QuickModeSARecord] {
        guard let parent = mainModeIDs.slot(for: mainModeID, in: mainModes) else { return [] }
        return quickModesByMainMode.children(of: parent).map { quickModes[$0] }.sorted { $0.id < $1.id }
    }

    /// Where packets of a Quick Mode SA go: the tunnel's remote end, else the peer.
    public func destination(of record: QuickModeSARecord) -> IPAddress? {
        if case .tunnel(_, let remote) = record.encapsulation { return remote }
        return mainMode(id: record.mainModeID)?.remote.ip
    }

    // MARK: Index reads shared with the queries

    func mainModeSlots(remoteIdentity identity: String, scope: IdentityScope) -> [UInt32] {
        var slots: [UInt32] = []
        if scope != .second {
            slots = mainModeRemoteIdentities.slots(for: identity, in: mainModes)
        }
        if scope != .first {
            // A record whose first identity also matches was found above.
            slots += mainModeRemoteSecondIdentities.slots(for: identity, in: mainModes).filter {
                scope == .second || mainModes[$0].remoteIdentity.map { CaseInsensitive.equal($0, identity) } != true
            }
        }
        return slots
    }
}
