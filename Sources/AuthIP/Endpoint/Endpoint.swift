import AuthIPAudit
import AuthIPCrypto
import AuthIPTrust
import AuthIPGSS
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// A sans-IO AuthIP keying module: it negotiates Main Mode and Quick Mode as initiator and
/// responder, keeps the SA database, and reports everything as audit events. It never reads
/// a clock, a socket or a random source of its own: the driver passes inputs with the time and
/// carries out the outputs, so a run replays exactly from its inputs and random seed.
///
/// ```swift
/// var endpoint = Endpoint(configuration: configuration, random: SystemRandomSource())
/// let outputs = endpoint.handle(.datagram(bytes, from: peer, to: local), now: Date())
/// ```
public struct Endpoint {
    public let configuration: EndpointConfiguration
    /// The established SAs.
    public internal(set) var database = SADatabase()
    /// The identities refused now.
    public internal(set) var blockList = BlockList()
    /// Whether the responder is answering new Main Modes with DoS cookies (event 4646): too
    /// many half-open negotiations, or the strangers' fragment pool under pressure.
    public internal(set) var isInDenialOfServiceMode = false
    /// Whether the half-open count has crossed the threshold (and not yet fallen below 3/4 of it).
    var isHalfOpenPressure = false
    /// Until when the strangers' fragment pool counts as under pressure (it evicted a message).
    var reassemblyPressureUntil: Date?

    var sessions: [UInt64: MainModeSession] = [:]
    /// Sessions this side initiated, by initiator cookie.
    var initiatedByCookie: [UInt64: UInt64] = [:]
    /// Sessions this side answers, by cookie pair; and by first contact for retransmitted #1s.
    var answeredByCookies: [CookiePair: UInt64] = [:]
    var answeredByFirstContact: [FirstContact: UInt64] = [:]
    var sessionsByPeer: [IPAddress: Set<UInt64>] = [:]
    /// Sessions by peer group (`EndpointSettings.peerGroup`), for the per-peer limits.
    var sessionsByPeerGroup: [AddressRange: Set<UInt64>] = [:]
    /// TLS acceptor starts per peer group.
    var tlsStarts = RateLimiter()
    /// TLS starts dropped for their peer's rate so far.
    public internal(set) var rateLimitedTLSStarts = 0
    var halfOpenCount = 0
    /// Where each established QM SA's negotiation lives, for deletes and rekeys.
    var quickModeLinks: [UInt64: QuickModeLink] = [:]
    /// SPIs chosen for Quick Modes still being negotiated.
    var reservedSPIs: Set<UInt32> = []
    var timers = DeadlineQueue<TimerKey>()
    var reassembly = Reassembly()
    /// Answers of the remote directory, and the look-ups asked for.
    var accountCache = AccountCache()
    /// CRL downloads asked for and not answered yet.
    var crlDownloads = RequestLedger()
    var random: EngineRandom
    let denialOfServiceSecret: SecretBytes
    /// The domains known by both names, for comparing the domains of two credentials.
    let domains: DomainNames
    var nextSAID: UInt64 = 1
    var now: Date
    var outputs: [EndpointOutput] = []
    private var announcedWakeUp: Date?
    /// Set by `shutdown`: notifies are retransmitted at most once (MS-AIPS note <12>).
    var isShuttingDown = false

    /// A new endpoint. `random` supplies every nonce, cookie, SPI, IV and DH key; give a seeded
    /// source to replay a run.
    public init(configuration: EndpointConfiguration, random: some RandomSource, now: Date = Date(timeIntervalSince1970: 0)) {
        self.configuration = configuration
        domains = DomainNames(configuration)
        var random = random
        denialOfServiceSecret = random.secret(32)
        self.random = EngineRandom(base: random)
        self.now = now
    }

    /// Processes one input at `now` and returns what to do.
    public mutating func handle(_ input: EndpointInput, now: Date) -> [EndpointOutput] {
        self.now = max(self.now, now)
        outputs = []
        switch input {
        case .datagram(let bytes, let from, let to): receive(bytes, from: from, to: to)
        case .timer: break
        case .acquire(let traffic): acquire(traffic)
        case .crlFetched(let url, let result): crlFetched(url: url, result: result)
        case .accountLookedUp(let query, let lookup): accountLookedUp(query, lookup)
        case .ntlmValidated(let request, let validation): ntlmValidated(request, validation)
        case .removeMainModeSAs(let filter): removeMainModeSAs(matching: filter)
        case .removeQuickModeSA(let id): removeQuickModeSA(id: id, notifyPeer: true, reason: nil)
        case .bytesTransferred(let id, let inbound, let bytes): countBytes(quickModeSAID: id, inbound: inbound, bytes: bytes)
        case .block(let identity, let until): block(identity, until: until)
        case .unblock(let identity):
            blockList.unblock(identity)
            accountCache.removeAll()
        case .shutdown: shutdown()
        }
        blockList.prune(at: self.now)
        runTimers()
        if let next = nextWakeUp(), next != announcedWakeUp {
            announcedWakeUp = next
            outputs.append(.wakeUp(at: next))
        }
        defer { outputs = [] }
        return outputs
    }

    /// The Main Mode negotiations in progress (not yet in the database).
    public var negotiationsInProgress: Int { halfOpenCount }

    /// Sessions that exist for any reason: negotiating, established, or closing.
    public var sessionCount: Int { sessions.count }

    /// Fragmented messages being reassembled, and the bytes their fragments hold.
    public var pendingFragmentedMessages: Int { reassembly.pending.count }
    public var pendingFragmentBytes: Int { reassembly.totalBytes }

    // MARK: - Session bookkeeping

    func session(_ id: UInt64) -> MainModeSession? { sessions[id] }

    /// Puts a session back after changing it, keeping counters and timers in step.
    mutating func store(_ session: consuming MainModeSession) {
        let id = session.id, isNegotiating = session.isNegotiating
        timers.schedule(.session(id), at: deadline(of: session))
        let wasNegotiating = sessions.updateValue(session, forKey: id)?.isNegotiating ?? false
        if wasNegotiating != isNegotiating { adjustHalfOpen(by: isNegotiating ? 1 : -1) }
    }

    /// Forgets a session entirely.
    mutating func discard(_ id: UInt64) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        if session.isNegotiating { adjustHalfOpen(by: -1) }
        if session.role == .initiator {
            initiatedByCookie[session.cookies.initiator] = nil
        } else {
            answeredByCookies[session.cookies] = nil
            answeredByFirstContact[FirstContact(initiatorCookie: session.cookies.initiator, peer: session.remote)] = nil
        }
        sessionsByPeer[session.remote.ip]?.remove(id)
        if sessionsByPeer[session.remote.ip]?.isEmpty == true { sessionsByPeer[session.remote.ip] = nil }
        let group = settings.peerGroup(of: session.remote.ip)
        sessionsByPeerGroup[group]?.remove(id)
        if sessionsByPeerGroup[group]?.isEmpty == true { sessionsByPeerGroup[group] = nil }
        timers.schedule(.session(id), at: nil)
    }

    mutating func register(_ session: MainModeSession) {
        var session = session
        session.negotiationLimit = now.addingTimeInterval(settings.maximumNegotiationTime.seconds)
        if session.role == .initiator {
            initiatedByCookie[session.cookies.initiator] = session.id
        } else {
            answeredByCookies[session.cookies] = session.id
            answeredByFirstContact[FirstContact(initiatorCookie: session.cookies.initiator, peer: session.remote)] = session.id
        }
        sessionsByPeer[session.remote.ip, default: []].insert(session.id)
        sessionsByPeerGroup[settings.peerGroup(of: session.remote.ip), default: []].insert(session.id)
        store(session)
    }

    private mutating func adjustHalfOpen(by delta: Int) {
        halfOpenCount += delta
        let threshold = configuration.settings.denialOfServiceThreshold
        if halfOpenCount >= threshold {
            isHalfOpenPressure = true
        } else if halfOpenCount < threshold * 3 / 4 {
            isHalfOpenPressure = false
        }
        updateDenialOfServiceMode()
    }

    /// Enters or leaves DoS-cookie mode (4646) as the half-open count and the fragment pool say.
    mutating func updateDenialOfServiceMode() {
        if let until = reassemblyPressureUntil, until <= now { reassemblyPressureUntil = nil }
        let pressed = isHalfOpenPressure || reassemblyPressureUntil != nil
        guard pressed != isInDenialOfServiceMode else { return }
        isInDenialOfServiceMode = pressed
        emit(.dosPreventionModeChanged(pressed ? .started : .stopped))
    }

    mutating func takeSAID() -> UInt64 {
        defer { nextSAID += 1 }
        return nextSAID
    }

    mutating func emit(_ event: AuditEvent) { outputs.append(.audit(event)) }

    var rules: [ConnectionSecurityRule] { configuration.rules }
    var settings: EndpointSettings { configuration.settings }

    private mutating func nextWakeUp() -> Date? {
        var candidates: [Date] = []
        if let next = timers.earliest() { candidates.append(next) }
        if let next = reassembly.earliestDeadline { candidates.append(next) }
        if let next = reassemblyPressureUntil { candidates.append(next) }
        if let next = database.nextExpiry { candidates.append(next) }
        return candidates.min()
    }
}

/// The driver's random source behind a concrete type, so it can be passed `inout`.
struct EngineRandom: RandomSource {
    var base: any RandomSource
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) { base.fill(buffer) }
}

/// A retransmitted MM #1 is recognised by its initiator cookie and source.
struct FirstContact: Hashable {
    var initiatorCookie: UInt64
    var peer: EndpointAddress
}

/// What the endpoint's timers are for.
enum TimerKey: Hashable {
    case session(UInt64)
    /// Start a Quick Mode that replaces this QM SA before it expires.
    case rekey(UInt64)
}

/// Where an established QM SA came from.
struct QuickModeLink {
    var sessionID: UInt64
    var messageID: UInt32
    var ruleIndex: Int
    var rekeyStarted = false
}


extension Endpoint {
    /// The Crypto-payload keys of every session that has them, by cookies: for the
    /// structure-aware endpoint fuzzer and the tests of this package.
    package var sessionProtections: [CookiePair: CryptoPayloadProtection] {
        var keys: [CookiePair: CryptoPayloadProtection] = [:]
        for session in sessions.values {
            if let protection = session.protection { keys[session.cookies] = protection }
        }
        return keys
    }
}
