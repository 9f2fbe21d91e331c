import AuthIPAudit
import AuthIPWire

/// Times Main Modes from their first datagram to the event that ends them, for the setup
/// latency histograms. A Main Mode begins with the first datagram seen or sent without a
/// responder cookie (retransmissions keep the first time). A failure event names its cookie;
/// an establishment event does not (Windows' 4650/4651 carry none), so it ends the oldest
/// Main Mode of that peer address (its port may have moved to NAT-T's), which is exact for
/// one client an address and close for several behind one NAT.
struct SetupClock {
    /// At most this many Main Modes are timed at once; beyond it, new ones are not (those
    /// older than `abandoned` are forgotten first).
    static let limit = 65_536
    static let abandoned: Duration = .seconds(300)

    private var started: [UInt64: (peer: AuditAddress, at: ContinuousClock.Instant)] = [:]
    /// Each peer's Main Modes, by initiator cookie, oldest first.
    private var byPeer: [AuditAddress: [UInt64]] = [:]

    /// Notes a datagram of a new Main Mode with `peer`: exchange 243, no responder cookie.
    mutating func note(_ message: [UInt8], peer: IPAddress, at now: ContinuousClock.Instant) {
        guard message.count >= 28, message[18] == 243, message[8..<16].allSatisfy({ $0 == 0 }) else { return }
        let cookie = message[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard started[cookie] == nil, let address = try? AuditAddress(bytes: peer.bytes) else { return }
        if started.count >= Self.limit { forget(before: now - Self.abandoned) }
        guard started.count < Self.limit else { return }
        started[cookie] = (address, now)
        byPeer[address, default: []].append(cookie)
    }

    /// When the Main Mode this event ends began, if it is one this clock timed, and whether
    /// the event is its establishment or its failure.
    mutating func end(_ event: AuditEvent) -> (established: Bool, began: ContinuousClock.Instant)? {
        switch event {
        case .mainModeEstablished(let established):
            return take(peer: established.sa.remote.address).map { (true, $0) }
        case .mainModeEstablishedWithCertificates(let established):
            return take(peer: established.negotiation.sa.remote.address).map { (true, $0) }
        case .mainModeFailed(let failed):
            return take(cookie: failed.initiatorCookie).map { (false, $0) }
        case .mainModeFailedWithCertificates(let failed):
            return take(cookie: failed.negotiation.initiatorCookie).map { (false, $0) }
        default:
            return nil
        }
    }

    private mutating func take(peer: AuditAddress?) -> ContinuousClock.Instant? {
        guard let peer, let cookie = byPeer[peer]?.first else { return nil }
        return take(cookie: cookie)
    }

    private mutating func take(cookie: UInt64) -> ContinuousClock.Instant? {
        guard let entry = started.removeValue(forKey: cookie) else { return nil }
        byPeer[entry.peer]?.removeAll { $0 == cookie }
        if byPeer[entry.peer]?.isEmpty == true { byPeer[entry.peer] = nil }
        return entry.at
    }

    private mutating func forget(before limit: ContinuousClock.Instant) {
        for (cookie, entry) in started where entry.at < limit { _ = take(cookie: cookie) }
    }
}
