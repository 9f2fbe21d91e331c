import AuthIPWire
import Foundation

extension SADatabase {
    /// Changes a Main Mode SA in place and re-files it under whatever indexed fields changed
    /// (cookies, remote address, remote identities, expiry). The id cannot change, nor the
    /// cookies to a pair already in use; on error nothing changes.
    @discardableResult
    public mutating func updateMainMode(id: UInt64, _ change: (inout MainModeSARecord) -> Void) throws(SADatabaseError) -> MainModeSARecord {
        guard let slot = mainModeSlotsByID[id] else { throw .mainModeNotFound(id) }
        let old = mainModes[slot]
        var new = old
        change(&new)
        guard new.id == old.id else { throw .identityChanged }
        if new.cookies != old.cookies {
            guard mainModeSlotsByCookies[new.cookies] == nil else { throw .duplicateCookiePair(new.cookies) }
            mainModeSlotsByCookies[old.cookies] = nil
            mainModeSlotsByCookies[new.cookies] = slot
        }
        if new.remote.ip != old.remote.ip {
            mainModesByRemoteAddress.remove(slot, under: old.remote.ip.hashValue)
            mainModesByRemoteAddress.insert(slot, under: new.remote.ip.hashValue)
        }
        Self.refile(slot, from: old.remoteIdentity, to: new.remoteIdentity, in: &mainModesByRemoteIdentity)
        Self.refile(slot, from: old.remoteSecondIdentity, to: new.remoteSecondIdentity, in: &mainModesByRemoteSecondIdentity)
        if new.expires != old.expires { mainModeExpiry.update(slot, deadline: new.expires) }
        mainModes[slot] = new
        return new
    }

    /// Changes a Quick Mode SA in place and re-files it under whatever indexed fields changed
    /// (SPIs, expiry: a rekey may shorten the lifetime). The id and Main Mode SA cannot
    /// change, nor the inbound SPI to one already in use; on error nothing changes.
    @discardableResult
    public mutating func updateQuickMode(id: UInt64, _ change: (inout QuickModeSARecord) -> Void) throws(SADatabaseError) -> QuickModeSARecord {
        guard let slot = quickModeSlotsByID[id] else { throw .quickModeNotFound(id) }
        let old = quickModes[slot]
        var new = old
        change(&new)
        guard new.id == old.id, new.mainModeID == old.mainModeID else { throw .identityChanged }
        if new.inboundSPI != old.inboundSPI {
            guard quickModeSlotsByInboundSPI[new.inboundSPI] == nil else { throw .duplicateInboundSPI(new.inboundSPI) }
            quickModeSlotsByInboundSPI[old.inboundSPI] = nil
            quickModeSlotsByInboundSPI[new.inboundSPI] = slot
        }
        if new.outboundSPI != old.outboundSPI {
            quickModesByOutboundSPI.remove(slot, under: old.outboundSPI)
            quickModesByOutboundSPI.insert(slot, under: new.outboundSPI)
        }
        if new.expires != old.expires { quickModeExpiry.update(slot, deadline: new.expires) }
        quickModes[slot] = new
        return new
    }

    /// Counts one more Quick Mode keyed by a Main Mode SA; returns the updated record.
    @discardableResult
    public mutating func incrementQuickModeCount(mainModeID: UInt64) throws(SADatabaseError) -> MainModeSARecord {
        try updateMainMode(id: mainModeID) { $0.quickModeCount += 1 }
    }

    /// Records the outcome of Extended Mode: the second identities and method.
    @discardableResult
    public mutating func setSecondIdentities(mainModeID: UInt64, local: String?, remote: String?,
                                             method: AuthMethod) throws(SADatabaseError) -> MainModeSARecord {
        try updateMainMode(id: mainModeID) {
            $0.localSecondIdentity = local
            $0.remoteSecondIdentity = remote
            $0.secondAuthenticationMethod = method
        }
    }

    /// Adds the bytes of packets that arrived with this SPI; returns the updated record, or
    /// nil when no Quick Mode SA has the SPI. Counters saturate.
    @discardableResult
    public mutating func addInboundBytes(_ count: UInt64, spi: UInt32) -> QuickModeSARecord? {
        guard let slot = quickModeSlotsByInboundSPI[spi] else { return nil }
        quickModes[slot].bytesIn = Self.saturatingSum(quickModes[slot].bytesIn, count)
        return quickModes[slot]
    }

    /// Adds the bytes of packets sent with this SPI to `destination` (an outbound SA is
    /// named by both, RFC 4301 §4.1); returns the updated record, or nil when none matches.
    @discardableResult
    public mutating func addOutboundBytes(_ count: UInt64, spi: UInt32, destination: IPAddress) -> QuickModeSARecord? {
        guard let slot = quickModesByOutboundSPI.slots(under: spi).first(where: { self.destination(of: quickModes[$0]) == destination }) else {
            return nil
        }
        quickModes[slot].bytesOut = Self.saturatingSum(quickModes[slot].bytesOut, count)
        return quickModes[slot]
    }

    private static func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    private static func refile(_ slot: UInt32, from old: String?, to new: String?, in chains: inout SlotChains<Int>) {
        let oldKey = old.map(CaseInsensitive.hash)
        let newKey = new.map(CaseInsensitive.hash)
        guard oldKey != newKey else { return }
        if let oldKey { chains.remove(slot, under: oldKey) }
        if let newKey { chains.insert(slot, under: newKey) }
    }
}

extension QuickModeSARecord {
    /// Whether the traffic in either direction has reached the kilobyte lifetime (0: none).
    public var kilobyteLifetimeReached: Bool {
        guard lifetimeKilobytes > 0 else { return false }
        let limit = UInt64(lifetimeKilobytes) * 1024
        return bytesIn >= limit || bytesOut >= limit
    }
}
