import AuthIPAudit
import AuthIPCrypto
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// A sans-IO AuthIP keying module: it negotiates Main Mode, Extended Mode and Quick Mode as
/// initiator and responder, keeps the SA database, and reports everything as audit events. It
/// never reads a clock, a socket or a random source of its own: the driver passes inputs with
/// the time and carries out the outputs, so a run replays exactly from its inputs and random
/// seed.
///
/// ```swift
/// var endpoint = Endpoint(configuration: configuration, random: SystemRandomSource())
/// let outputs = endpoint.handle(.datagram(bytes, from: peer, to: local), now: Date())
/// ```
///
/// Each Main Mode is a `MainModeMachine` in the session table, changed in place by the input
/// that concerns it; `Endpoint` keeps what the sessions share: the table and its indexes, the
/// timers, the fragments being reassembled, DoS-cookie mode, and the `EndpointContext`.
public struct Endpoint {
    var context: EndpointContext
    var sessions: [UInt64: MainModeMachine] = [:]
    /// Sessions this side initiated, by initiator cookie.
    var initiatedByCookie: [UInt64: UInt64] = [:]
    /// Sessions this side answers, by cookie pair; and by first contact for retransmitted #1s.
    var answeredByCookies: [CookiePair: UInt64] = [:]
    var answeredByFirstContact: [FirstContact: UInt64] = [:]
    var sessionsByPeer: [IPAddress: Set<UInt64>] = [:]
    /// Sessions by peer group (`EndpointSettings.peerGroup`), for the per-peer limits.
    var sessionsByPeerGroup: [AddressRange: Set<UInt64>] = [:]
    var halfOpenCount = 0
    /// Whether the half-open count has crossed the threshold (and not yet fallen below 3/4 of it).
    var isHalfOpenPressure = false
    /// Until when the strangers' fragment pool counts as under pressure (it evicted a message).
    var reassemblyPressureUntil: Date?
    /// Whether the responder is answering new Main Modes with DoS cookies (event 4646): too
    /// many half-open negotiations, or the strangers' fragment pool under pressure.
    public internal(set) var isInDenialOfServiceMode = false
    var timers = DeadlineQueue<UInt64>()
    /// Traffic whose negotiation the peer stopped answering: negotiated again when due.
    var negotiationRetries: [TrafficRequest: NegotiationRetry] = [:]
    var retriesScheduled: UInt64 = 0
    var reassembly = Reassembly()
    let denialOfServiceSecret: SecretBytes
    private var announcedWakeUp: Date?

    /// A new endpoint. `random` supplies every nonce, cookie, SPI, IV and DH key; give a seeded
    /// source to replay a run. A driver that splits negotiations between several endpoints
    /// gives each its `shard`.
    public init(
        configuration: EndpointConfiguration, random: some RandomSource, now: Date = Date(timeIntervalSince1970: 0),
        shard: EndpointShard = .whole
    ) {
        var random = random
        denialOfServiceSecret = random.secret(32)
        context = EndpointContext(
            configuration: configuration, random: EngineRandom(base: random), now: now, shard: shard)
    }

    /// Processes one input at `now` and returns what to do.
    public mutating func handle(_ input: EndpointInput, now: Date) -> [EndpointOutput] {
        context.now = max(context.now, now)
        context.outputs = []
        switch input {
        case .datagram(let bytes, let from, let to): receive(bytes, from: from, to: to)
        case .timer: break
        case .acquire(let traffic): acquire(traffic)
        case .crlFetched(let url, let result): crlFetched(url: url, result: result)
        case .accountLookedUp(let query, let lookup): accountLookedUp(query, lookup)
        case .ntlmValidated(let request, let validation): ntlmValidated(request, validation)
        case .removeMainModeSAs(let filter): removeMainModeSAs(matching: filter)
        case .removeQuickModeSA(let id): removeQuickModeSA(id: id, notifyPeer: true, reason: nil)
        case .bytesTransferred(let id, let inbound, let bytes):
            countBytes(quickModeSAID: id, inbound: inbound, bytes: bytes)
        case .block(let identity, let until): block(identity, until: until)
        case .unblock(let identity): unblock(identity)
        case .reconfigure(let configuration): reconfigure(configuration)
        case .shutdown: shutdown()
        }
        context.blockList.prune(at: context.now)
        runTimers()
        if let next = nextWakeUp(), next != announcedWakeUp {
            announcedWakeUp = next
            context.outputs.append(.wakeUp(at: next))
        }
        defer { context.outputs = [] }
        return context.outputs
    }

    public var configuration: EndpointConfiguration { context.configuration }
    /// The established SAs.
    public var database: SADatabase { context.database }
    /// The identities refused now.
    public var blockList: BlockList { context.blockList }
    /// TLS starts dropped for their peer's rate so far.
    public var rateLimitedTLSStarts: Int { context.rateLimitedTLSStarts }

    /// The Main Mode negotiations in progress (not yet in the database).
    public var negotiationsInProgress: Int { halfOpenCount }

    /// Which of the driver's shards this endpoint is.
    public var shard: EndpointShard { context.shard }

    /// Sessions that exist for any reason: negotiating, established, or closing.
    public var sessionCount: Int { sessions.count }

    /// Fragmented messages being reassembled, and the bytes their fragments hold.
    public var pendingFragmentedMessages: Int { reassembly.pending.count }
    public var pendingFragmentBytes: Int { reassembly.totalBytes }

    var settings: EndpointSettings { context.settings }
    var rules: [ConnectionSecurityRule] { context.rules }
    var now: Date { context.now }

    private mutating func nextWakeUp() -> Date? {
        var candidates: [Date] = []
        if let next = timers.earliest() { candidates.append(next) }
        if let next = reassembly.earliestDeadline { candidates.append(next) }
        if let next = reassemblyPressureUntil { candidates.append(next) }
        if let next = context.database.nextExpiry { candidates.append(next) }
        if let next = negotiationRetries.values.map(\.due).min() { candidates.append(next) }
        return candidates.min()
    }
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
