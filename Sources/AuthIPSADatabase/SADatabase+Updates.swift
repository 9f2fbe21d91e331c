import AuthIPWire
import Foundation

extension SADatabase {
    /// Changes a Main Mode SA in place and re-files it under whatever indexed fields changed
    /// (cookies, remote address, remote identities, expiry). The id cannot change, nor the
    /// cookies to a pair already in use; on error nothing changes.
    @discardableResult
    public mutating func updateMainMode(
        id: UInt64, _ change: (inout MainModeSARecord) -> Void
    ) throws(SADatabaseError) -> MainModeSARecord {
        guard let slot = mainModeIDs.slot(for: id, in: mainModes) else { throw .mainModeNotFound(id) }
        let old = mainModes[slot]
        var new = old
        change(&new)
        guard new.id == old.id else { throw .identityChanged }
        let cookiesChanged = new.cookies != old.cookies
        if cookiesChanged, mainModeCookies.slot(for: new.cookies, in: mainModes) != nil {
            throw .duplicateCookiePair(new.cookies)
        }
        let addressChanged = new.remote.ip != old.remote.ip
        let identityChanged = old.remoteIdentity != new.remoteIdentity
        let secondIdentityChanged = old.remoteSecondIdentity != new.remoteSecondIdentity

        // Unfile under the old keys while the old record is in the slot, file under the new
        // ones once the new record is: an index that grows rereads every filed record's key.
        if cookiesChanged { mainModeCookies.remove(slot, value: old.cookies) }
        if addressChanged { mainModeRemoteAddresses.remove(slot, value: old.remote.ip) }
        if identityChanged, let identity = old.remoteIdentity { mainModeRemoteIdentities.remove(slot, value: identity) }
        if secondIdentityChanged, let identity = old.remoteSecondIdentity {
            mainModeRemoteSecondIdentities.remove(slot, value: identity)
        }
        mainModes[slot] = new
        if cookiesChanged { mainModeCookies.insert(slot, value: new.cookies, in: mainModes) }
        if addressChanged { mainModeRemoteAddresses.insert(slot, value: new.remote.ip, in: mainModes) }
        if identityChanged, let identity = new.remoteIdentity {
            mainModeRemoteIdentities.insert(slot, value: identity, in: mainModes)
        }
        if secondIdentityChanged, let identity = new.remoteSecondIdentity {
            mainModeRemoteSecondIdentities.insert(slot, value: identity, in: mainModes)
        }
        if identityChanged || secondIdentityChanged {
            mainModeIdentityTrigrams.remove(slot, old, in: mainModes)
            mainModeIdentityTrigrams.insert(slot, new)
        }
        if new.expires != old.expires { mainModeExpiry.update(slot, deadline: new.expires) }
        return new
    }

    /// Changes a Quick Mode SA in place and re-files it under whatever indexed fields changed
    /// (SPIs, expiry: a rekey may shorten the lifetime). The id and Main Mode SA cannot
    /// change, nor the inbound SPI to one already in use; on error nothing changes.
    @discardableResult
    public mutating func updateQuickMode(
        id: UInt64, _ change: (inout QuickModeSARecord) -> Void
    ) throws(SADatabaseError) -> QuickModeSARecord {
        guard let slot = quickModeIDs.slot(for: id, in: quickModes) else { throw .quickModeNotFound(id) }
        let old = quickModes[slot]
        var new = old
        change(&new)
        guard new.id == old.id, new.mainModeID == old.mainModeID else { throw .identityChanged }
        let inboundChanged = new.inboundSPI != old.inboundSPI
        if inboundChanged, quickModeInboundSPIs.slot(for: new.inboundSPI, in: quickModes) != nil {
            throw .duplicateInboundSPI(new.inboundSPI)
        }
        let outboundChanged = new.outboundSPI != old.outboundSPI

        if inboundChanged { quickModeInboundSPIs.remove(slot, value: old.inboundSPI) }
        if outboundChanged { quickModeOutboundSPIs.remove(slot, value: old.outboundSPI) }
        quickModes[slot] = new
        if inboundChanged { quickModeInboundSPIs.insert(slot, value: new.inboundSPI, in: quickModes) }
        if outboundChanged { quickModeOutboundSPIs.insert(slot, value: new.outboundSPI, in: quickModes) }
        if new.expires != old.expires { quickModeExpiry.update(slot, deadline: new.expires) }
        return new
    }

    /// Counts one more Quick Mode keyed by a Main Mode SA; returns the updated record.
    @discardableResult
    public mutating func incrementQuickModeCount(mainModeID: UInt64) throws(SADatabaseError) -> MainModeSARecord {
        try updateMainMode(id: mainModeID) { $0.quickModeCount += 1 }
    }

    /// Records the outcome of Extended Mode: the second identities and method.
    @discardableResult
    public mutating func setSecondIdentities(
        mainModeID: UInt64, local: String?, remote: String?,
        method: AuthMethod
    ) throws(SADatabaseError) -> MainModeSARecord {
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
        guard let slot = quickModeInboundSPIs.slot(for: spi, in: quickModes) else { return nil }
        quickModes[slot].bytesIn = Self.saturatingSum(quickModes[slot].bytesIn, count)
        return quickModes[slot]
    }

    /// Adds the bytes of packets sent with this SPI to `destination` (an outbound SA is
    /// named by both, RFC 4301 §4.1); returns the updated record, or nil when none matches.
    @discardableResult
    public mutating func addOutboundBytes(_ count: UInt64, spi: UInt32, destination: IPAddress) -> QuickModeSARecord? {
        guard
            let slot = quickModeOutboundSPIs.slots(for: spi, in: quickModes).first(where: {
                self.destination(of: quickModes[$0]) == destination
            })
        else {
            return nil
        }
        quickModes[slot].bytesOut = Self.saturatingSum(quickModes[slot].bytesOut, count)
        return quickModes[slot]
    }

    private static func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
