import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// One Main Mode, from its first message to the end of its SA: the phase it is in, the
/// message channel, the Quick Modes in progress on it, what waits for it. The session table of
/// `Endpoint` holds one per cookie pair; every input that concerns it changes it in place
/// (`Endpoint.withSession`), with the shared state passed as an `EndpointContext`.
struct MainModeMachine {
    /// The MMSAID.
    let id: UInt64
    let role: SARole
    var cookies: CookiePair
    var local: EndpointAddress
    var remote: EndpointAddress
    /// The rule in `EndpointContext.rules` (a reconfiguration moves it).
    var ruleIndex: Int
    var phase: MainModePhase
    var channel = Channel()
    /// Quick Modes in progress, by message ID.
    var quickModes: [UInt32: QuickModeMachine] = [:]
    /// The QM SAs this MM SA carries, by QMSAID: where each came from, and its rekey.
    var quickModeSAs: [UInt64: QuickModeSALink] = [:]
    /// Traffic waiting for this MM SA (initiator): a Quick Mode starts for each once it is up.
    var pendingTraffic: [TrafficRequest] = []
    /// Initiator: the traffic this negotiation is for, to negotiate again if the peer stops
    /// answering (`retry`), and how many negotiations for it came before this one.
    var acquiredTraffic: [TrafficRequest] = []
    var retryAttempt = 0
    /// Initiator: the negotiation ended because the peer stopped answering; the endpoint
    /// starts a new one for `acquiredTraffic` after a backoff (`EndpointSettings.negotiationRetries`).
    var retry = false
    /// Initiator: the TLS GSS-APIsecret forms still to try with this peer, the one in use first.
    var tlsSecretCandidates: [TLSSecretForm] = []
    /// Initiator: #5 went unanswered with keys from `tlsSecretCandidates.first`.
    var tlsSecretUnanswered = false
    /// Initiator: the forms of Auth1 still to try with this peer, the one in use first; and
    /// whether the peer refused the Auth1 sent (ERROR_IPSEC_IKE_INVALID_HASH).
    var transcriptCandidates: [TranscriptForm] = []
    var auth1Refused = false
    /// When this side gives up on a negotiation that does not progress: the responder waiting
    /// for the peer's next message (MS-AIPS: 60 s), the initiator between its first Quick Mode
    /// and the end of Extended Mode.
    var negotiationDeadline: Date?
    /// When a negotiation gives up however it is kept alive (a peer dribbling messages).
    var negotiationLimit = Date.distantFuture
    /// Reliable notifies waiting for the one outstanding to be acknowledged.
    var notifyQueue: [QueuedNotify] = []
    var peerSupportsFragmentation = false
    var natDetected = false
    /// How this Extended Mode's GSS rounds travel, fixed by the first one (the initiator's
    /// profile; at the responder, the peer's first round): clear rounds on 243 are taken only
    /// when that one was clear (`ExtendedModeFraming`), and answered so.
    var extendedModeFraming: ExtendedModeFraming?
    var nextFragmentID: UInt16 = 1

    init(
        id: UInt64, role: SARole, cookies: CookiePair, local: EndpointAddress, remote: EndpointAddress, ruleIndex: Int,
        phase: MainModePhase
    ) {
        self.id = id
        self.role = role
        self.cookies = cookies
        self.local = local
        self.remote = remote
        self.ruleIndex = ruleIndex
        self.phase = phase
    }

    /// The keys and proofs, once derived.
    var keyed: KeyedMainMode? {
        switch phase {
        case .keyed(let mm), .extendedMode(let mm, _), .established(let mm, _): return mm
        default: return nil
        }
    }

    /// Whether the MM SA is in the database.
    var isEstablished: Bool {
        if case .established = phase { return true }
        return false
    }

    /// Whether the peer's Auth1/Auth2 has been checked.
    var isProofChecked: Bool {
        switch phase {
        case .extendedMode, .established: return true
        default: return false
        }
    }

    /// Whether the session counts as half-open for the DoS and per-peer limits.
    var isNegotiating: Bool {
        switch phase {
        case .offered, .authenticating, .keyed, .extendedMode: return true
        case .established, .closing: return false
        }
    }

    /// The Crypto-payload keys, once they exist.
    var protection: CryptoPayloadProtection? {
        switch phase {
        case .keyed(let mm), .extendedMode(let mm, _), .established(let mm, _): return mm.protection
        case .closing(let protection): return protection
        default: return nil
        }
    }

    /// Whether the session is over: closed, with no notify left to be acknowledged.
    var isFinished: Bool {
        if case .closing = phase { return !channel.hasOutstandingNotify && notifyQueue.isEmpty }
        return false
    }

    /// The GSS negotiation of a stage, while that stage runs.
    var negotiations: [(AuthenticationStage, GSSNegotiation)] {
        switch phase {
        case .authenticating(let auth): return [(.mainMode, auth.gss)]
        case .extendedMode(_, let em): return em.negotiation.map { [(.extendedMode, $0)] } ?? []
        default: return []
        }
    }

    /// What the running GSS negotiation waits for, read in place.
    var externalWait: ExternalWait? {
        switch phase {
        case .authenticating(let auth): return auth.gss.wait
        case .extendedMode(_, let em): return em.negotiation?.wait
        default: return nil
        }
    }

    /// The session's next deadline: a retransmission, the responder's wait, a negotiation's
    /// external wait, a Quick Mode's wait for synchronize, a rekey, the end of the responses
    /// kept for retransmissions.
    var deadline: Date? {
        var next = channel.earliestRetransmission ?? .distantFuture
        if let expire = channel.responsesExpire { next = min(next, expire) }
        if let deadline = negotiationDeadline { next = min(next, deadline) }
        if isNegotiating { next = min(next, negotiationLimit) }
        if let wait = externalWait { next = min(next, wait.deadline) }
        for exchange in quickModes.values { if let deadline = exchange.deadline { next = min(next, deadline) } }
        for link in quickModeSAs.values { if let rekey = link.rekeyAt { next = min(next, rekey) } }
        return next == .distantFuture ? nil : next
    }

    /// The established rules' view: which rule a stage's policy comes from.
    func ruleIndex(_ stage: AuthenticationStage) -> Int {
        if stage == .extendedMode, case .extendedMode(_, let em) = phase { return em.ruleIndex }
        return ruleIndex
    }
}

/// A reliable notify waiting its turn, with the message ID its exchange will use.
struct QueuedNotify {
    var payload: NotifyPayload
    var messageID: UInt32
}

/// Where a QM SA came from, for deletes and rekeys.
struct QuickModeSALink {
    var messageID: UInt32
    var ruleIndex: Int
    /// Initiator: when to start the Quick Mode that replaces it; nil once started (or for a
    /// responder's SA).
    var rekeyAt: Date?
}

extension SARole {
    var peer: SARole { self == .initiator ? .responder : .initiator }
}

/// Why a negotiation failed: the Windows code and which side found it.
struct NegotiationError: Error, Hashable {
    var code: WindowsError
    var point: FailurePoint

    static func local(_ code: WindowsError) -> NegotiationError { NegotiationError(code: code, point: .localComputer) }
    static func remote(_ code: WindowsError) -> NegotiationError {
        NegotiationError(code: code, point: .remoteComputer)
    }
}

extension WindowsError {
    /// The error for a code a peer sent; unknown codes read as a general IKE failure.
    static func lookup(_ code: UInt32) -> WindowsError {
        WindowsError(decoding: code) ?? .errorIpsecIkeError
    }
}

extension UInt64 {
    var bigEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> UInt64(56 - 8 * $0)) } }
}

/// Compares two byte strings without leaking where they differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
