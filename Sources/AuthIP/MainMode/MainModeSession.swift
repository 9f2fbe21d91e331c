import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// One Main Mode negotiation and, once established, its MM SA's protocol state: the phase,
/// the message channel, its Quick Mode exchanges and what waits for it.
struct MainModeSession {
    /// The MMSAID.
    let id: UInt64
    let role: SARole
    var cookies: CookiePair
    var local: EndpointAddress
    var remote: EndpointAddress
    let ruleIndex: Int
    var phase: MainModePhase
    var channel = Channel()
    var quickModes: [UInt32: QuickModeExchange] = [:]
    /// Traffic waiting for this MM SA (initiator): a Quick Mode starts for each once it is up.
    var pendingTraffic: [TrafficRequest] = []
    /// When this side gives up on a negotiation that does not progress: the responder waiting
    /// for the peer's next message (MS-AIPS: 60 s), the initiator between its first Quick Mode
    /// and the end of Extended Mode.
    var negotiationDeadline: Date?
    /// Reliable notifies waiting for the one outstanding to be acknowledged.
    var notifyQueue: [QueuedNotify] = []
    /// When a negotiation gives up however it is kept alive (a peer dribbling messages).
    var negotiationLimit = Date.distantFuture
    var peerSupportsFragmentation = false
    var natDetected = false
    var nextFragmentID: UInt16 = 1

    init(id: UInt64, role: SARole, cookies: CookiePair, local: EndpointAddress, remote: EndpointAddress, ruleIndex: Int, phase: MainModePhase) {
        self.id = id
        self.role = role
        self.cookies = cookies
        self.local = local
        self.remote = remote
        self.ruleIndex = ruleIndex
        self.phase = phase
    }

    var established: EstablishedMainMode? {
        if case .established(let mm) = phase { return mm }
        return nil
    }

    /// Whether the MM SA is in the database (the peer's proof was checked).
    var isEstablished: Bool { established?.confirmed == true }

    /// Whether the session counts as half-open for the DoS and per-peer limits.
    var isNegotiating: Bool {
        switch phase {
        case .offered, .authenticating: return true
        case .established(let mm): return !mm.confirmed
        case .closing: return false
        }
    }

    /// The Crypto-payload keys, once they exist.
    var protection: CryptoPayloadProtection? {
        switch phase {
        case .established(let mm): return mm.protection
        case .closing(let protection): return protection
        default: return nil
        }
    }
}

/// A reliable notify waiting its turn, with the message ID its exchange will use.
struct QueuedNotify {
    var payload: NotifyPayload
    var messageID: UInt32
}

/// Where a Main Mode is.
enum MainModePhase {
    /// Initiator: #1 sent, waiting for #2.
    case offered(MainModeOffer)
    /// Both roles: #1/#2 done; GSS rounds until both contexts are complete.
    case authenticating(MainModeAuthentication)
    /// Keys derived; `confirmed` once the peer's Auth1/Auth2 checked.
    case established(EstablishedMainMode)
    /// Removed: only waiting for the acknowledgements of the delete notifies sent.
    case closing(CryptoPayloadProtection?)
}

/// The initiator's #1, kept until #2 answers it.
struct MainModeOffer {
    /// A DoS cookie was taken already; later ones are ignored.
    var cookieTaken = false
    var nonce: [UInt8]
    var keyPair: DiffieHellmanKeyPair?
    var payloads: [Payload]
    var methods: [AuthMethod]
}

/// What #1/#2 settled.
struct MainModeAgreement {
    var algorithms: MainModeAlgorithms
    var group: DiffieHellmanGroup?
    var lifetimeSeconds: UInt32
    var quickModeLimit: UInt32
    var initiatorNonce: [UInt8]
    var responderNonce: [UInt8]
    /// Nr(qm) of #2, the responder's nonce for the first Quick Mode.
    var responderQuickModeNonce: [UInt8]
    /// g^xy, empty without DH.
    var sharedSecret: SecretBytes
    /// The methods the responder accepted, in the initiator's order.
    var methods: [AuthMethod]
    /// The responder's SPN from GSS_ID.
    var peerPrincipalName: String?
    var legacyICV: Bool
}

/// The GSS rounds of Main Mode, with what #1/#2 settled; held by reference, see `CopyOnWrite`.
typealias MainModeAuthentication = CopyOnWrite<MainModeAuthenticationState>

struct MainModeAuthenticationState {
    var agreement: MainModeAgreement
    var gss: GSSNegotiation
}

/// A Main Mode with keys; held by reference, since sessions are copied per message.
typealias EstablishedMainMode = CopyOnWrite<EstablishedMainModeState>

struct EstablishedMainModeState {
    var agreement: MainModeAgreement
    var derivation: KeyDerivation
    var keys: MainModeKeys
    var protection: CryptoPayloadProtection
    var auth1: [UInt8]
    var auth2: [UInt8]
    var method: AuthMethod
    var localIdentity: String?
    var remoteIdentity: String?
    var localCertificate: Certificate?
    var peerChain: [Certificate]
    /// The checks of the peer Main Mode authenticated, passed.
    var authorization: Authorization
    /// Once confirmed: the rule whose checks the SA passed (its Extended Mode's, if one ran).
    /// Later Quick Modes may only be for rules that share its authorization.
    var authorizedRule: Int?
    /// Whether the peer's Auth1/Auth2 has been checked.
    var proofChecked = false
    /// Whether the SA is established and in the database (after Extended Mode, if one runs).
    var confirmed = false
    /// The Extended Mode in progress, with the Quick Mode it keys.
    var extended: ExtendedModeExchange?
    /// Once Extended Mode has run: what binds every Quick Mode key to it (MS-AIPS 3.1.7.4).
    var extendedModeBinding: QuickModeKeys.ExtendedModeBinding?
    /// The peer sent a delete notify: no new Quick Modes; the SA goes when its QMs do.
    var peerDeleted = false
    var quickModeCount = 0
    var expires: Date

}

extension EstablishedMainModeState {
    /// When the Extended Mode's CRL, account or domain-controller waits give up; read in place,
    /// without copying the exchange out.
    var extendedModeWaitDeadlines: [Date] { extended?.gss?.waitDeadlines ?? [] }
}

extension CopyOnWrite where Value == EstablishedMainModeState {
    /// The Main Mode proof of one side: Auth1 for the initiator, Auth2 for the responder. A
    /// Quick Mode's messages carry their sender's.
    func proof(of role: SARole) -> [UInt8] { role == .initiator ? value.auth1 : value.auth2 }
}

extension MainModeSession {
    /// The GSS negotiation of a stage, while that stage runs.
    func negotiation(_ stage: AuthenticationStage) -> GSSNegotiation? {
        switch phase {
        case .authenticating(let auth): return stage == .mainMode ? auth.gss : nil
        case .established(let mm): return stage == .extendedMode ? mm.extended?.gss : nil
        default: return nil
        }
    }

    /// Puts a stage's GSS negotiation back.
    mutating func setNegotiation(_ gss: GSSNegotiation, _ stage: AuthenticationStage) {
        switch phase {
        case .authenticating(var auth) where stage == .mainMode:
            phase = .closing(nil)
            auth.gss = gss
            phase = .authenticating(auth)
        case .established(var mm) where stage == .extendedMode && mm.extended != nil:
            phase = .closing(nil)
            mm.extended?.gss = gss
            phase = .established(mm)
        default:
            break
        }
    }
}

extension SARole {
    var peer: SARole { self == .initiator ? .responder : .initiator }
}

/// Why a negotiation failed: the Windows code and which side found it.
struct NegotiationError: Error, Hashable {
    var code: WindowsError
    var point: FailurePoint

    static func local(_ code: WindowsError) -> NegotiationError { NegotiationError(code: code, point: .localComputer) }
    static func remote(_ code: WindowsError) -> NegotiationError { NegotiationError(code: code, point: .remoteComputer) }
}
