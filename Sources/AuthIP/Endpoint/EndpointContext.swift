import AuthIPAudit
import AuthIPCrypto
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// What every exchange machine reads and changes besides its own state: the policy, the
/// clock and randomness of this input, the SA database, the block list and the caches shared
/// by all negotiations, the SPIs and SA IDs handed out, and the outputs for the driver. The
/// machines take it `inout`; `Endpoint` owns it next to its session table.
struct EndpointContext {
    private(set) var configuration: EndpointConfiguration
    /// The domains known by both names, for comparing the domains of two credentials.
    private(set) var domains: DomainNames
    /// The configuration's rules, then the rules a reconfiguration removed that sessions still
    /// point at (until they are gone): only `activeRules` match new traffic.
    private(set) var rules: [ConnectionSecurityRule]
    var now: Date
    var random: EngineRandom
    /// The established SAs.
    var database = SADatabase()
    /// The identities refused now.
    var blockList = BlockList()
    /// Answers of the remote directory, and the look-ups asked for.
    var accountCache = AccountCache()
    /// CRL downloads asked for and not answered yet.
    var crlDownloads = RequestLedger()
    /// TLS acceptor starts per peer group, and how many were dropped for their peer's rate.
    var tlsStarts = RateLimiter()
    var rateLimitedTLSStarts = 0
    /// SPIs chosen for Quick Modes still being negotiated.
    var reservedSPIs: Set<UInt32> = []
    /// What each peer was found to use where Windows builds differ (Docs/InteropProfile.md).
    var calibrations = CalibrationMemory()
    /// Which of the driver's shards this endpoint is (`EndpointShard.whole` when unsplit).
    let shard: EndpointShard
    private var nextSAID: UInt64
    /// Set by `shutdown`: notifies are retransmitted at most once (MS-AIPS note <12>).
    var isShuttingDown = false
    /// What the driver is to do, in order, for the input being handled.
    var outputs: [EndpointOutput] = []
    /// Sessions waiting for an answer of the driver, by the key it comes back under.
    var waiters: [WaitKey: Set<UInt64>] = [:]

    init(configuration: EndpointConfiguration, random: EngineRandom, now: Date, shard: EndpointShard = .whole) {
        self.configuration = configuration
        self.shard = shard
        nextSAID = shard.firstSAID
        domains = DomainNames(configuration)
        rules = configuration.rules
        self.random = random
        self.now = now
    }

    var settings: EndpointSettings { configuration.settings }
    /// The positions in `rules` of the configuration's own rules.
    var activeRules: Range<Int> { 0..<configuration.rules.count }

    /// Adopts `configuration`, keeping `retired` (removed rules sessions still point at) after
    /// its rules.
    mutating func adopt(_ configuration: EndpointConfiguration, retired: [ConnectionSecurityRule]) {
        self.configuration = configuration
        domains = DomainNames(configuration)
        rules = configuration.rules + retired
    }

    mutating func emit(_ event: AuditEvent) { outputs.append(.audit(event)) }

    /// Notes that session `id` waits for the answers of `wait`.
    mutating func awaitAnswers(_ wait: ExternalWait, session id: UInt64) {
        for key in wait.keys { waiters[key, default: []].insert(id) }
    }

    /// Notes that session `id` no longer waits for the answers of `wait`.
    mutating func stopAwaiting(_ wait: ExternalWait, session id: UInt64) {
        for key in wait.keys {
            waiters[key]?.remove(id)
            if waiters[key]?.isEmpty == true { waiters[key] = nil }
        }
    }

    /// An MMSAID or QMSAID, of this shard's class.
    mutating func takeSAID() -> UInt64 {
        defer { nextSAID += UInt64(shard.count) }
        return nextSAID
    }

    /// An inbound SPI no SA and no Quick Mode in progress has, reserved until released.
    mutating func allocateSPI() -> UInt32 {
        while true {
            let spi = UInt32(truncatingIfNeeded: random.next())
            if spi >= 0x100, shard.owns(spi: spi), !reservedSPIs.contains(spi),
                database.quickMode(inboundSPI: spi) == nil
            {
                reservedSPIs.insert(spi)
                return spi
            }
        }
    }

    /// A nonzero random 32-bit value (message IDs).
    mutating func randomMessageID() -> UInt32 {
        while true {
            let value = UInt32(truncatingIfNeeded: random.next())
            if value != 0 { return value }
        }
    }

    /// A nonzero random cookie; an initiator's falls in this shard's class, so that the
    /// answers come back to it.
    mutating func randomCookie(initiator: Bool = false) -> UInt64 {
        while true {
            let value = random.next()
            if value != 0, !initiator || shard.owns(initiatorCookie: value) { return value }
        }
    }
}

/// The driver's random source behind a concrete type, so it can be passed `inout`.
struct EngineRandom: RandomSource {
    var base: any RandomSource
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) { base.fill(buffer) }
}

/// What worked with each peer where Windows builds may differ (the TLS GSS-APIsecret form, the
/// form of the Main Mode proofs), for its next negotiations in either role; bounded, the
/// oldest peer forgotten first.
struct CalibrationMemory {
    static let capacity = 65_536
    private var entries: [IPAddress: Calibration] = [:]
    private var order: [IPAddress] = []

    /// Remembers what the peer's proof settled; the calibration when it is news.
    mutating func remember(
        tlsSecret: TLSSecretForm?, transcript: TranscriptForm, for peer: IPAddress
    ) -> Calibration? {
        // A peer in our own forms needs no entry of its own, unless it had another before.
        let ours = (tlsSecret ?? .exporter) == .exporter && transcript == .standard
        guard var entry = entries[peer] ?? (ours ? nil : Calibration(peer: peer, tlsSecret: nil)) else { return nil }
        if let tlsSecret { entry.tlsSecret = tlsSecret }
        entry.transcript = transcript
        guard entries[peer] != entry else { return nil }
        if entries[peer] == nil {
            order.append(peer)
            if order.count > Self.capacity { entries[order.removeFirst()] = nil }
        }
        entries[peer] = entry
        return entry
    }

    /// The TLS secret forms to try with `peer`, the remembered or preferred one first.
    func tlsSecrets(for peer: IPAddress, _ profile: InteropProfile) -> [TLSSecretForm] {
        guard profile.calibratesTLSSecret else { return [profile.tlsSecret] }
        let first = entries[peer]?.tlsSecret ?? profile.tlsSecret
        return [first] + InteropProfile.tlsSecretCandidates.filter { $0 != first }
    }

    /// The proof forms to try with `peer`, the remembered or preferred one first.
    func transcripts(for peer: IPAddress, _ profile: InteropProfile) -> [TranscriptForm] {
        guard profile.calibratesTranscript else { return [profile.transcriptForm] }
        let first = entries[peer]?.transcript ?? profile.transcriptForm
        return [first] + TranscriptForm.candidates.filter { $0 != first }
    }
}
