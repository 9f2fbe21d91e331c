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
    /// When the responder gives up waiting for the peer's next message.
    var responderDeadline: Date?
    /// Reliable notifies waiting for the one outstanding to be acknowledged.
    var notifyQueue: [QueuedNotify] = []
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

/// The GSS rounds of Main Mode (MS-AIPS 3.8/3.9) with method retry.
struct MainModeAuthentication {
    var agreement: MainModeAgreement
    var transcript: AuthenticationTranscript
    /// The position in `agreement.methods` of the method being run.
    var methodIndex = 0
    /// Initiator: which of its credentials for that method is being tried.
    var credentialIndex = 0
    var started = false
    var context: (any GSSContext)?
    /// Initiator: the responder said GSS_RESPONDER_AUTH_COMPLETE.
    var peerComplete = false
    var attempts = 0
    /// The last failure, reported if the negotiation ends without success.
    var lastFailure: NegotiationError?
    /// A token exchange waiting on CRL downloads (strong revocation checking).
    var crlWait: CRLWait?
    /// Certificates seen, for the certificate variants of the events.
    var localCertificate: Certificate?
    var peerChain: [Certificate] = []

    init(agreement: MainModeAgreement, transcript: AuthenticationTranscript) {
        self.agreement = agreement
        self.transcript = transcript
    }

    var method: AuthMethod? { agreement.methods.indices.contains(methodIndex) ? agreement.methods[methodIndex] : nil }
}

/// A GSS step suspended until these CRLs are downloaded.
struct CRLWait {
    var urls: Set<String>
    var results: [String: CRLDownload] = [:]
    var deadline: Date
    /// Responder: the GSS request's key, to answer once resumed.
    var requestKey: ExchangeKey?
    var flags: GSSFlags
}

/// A Main Mode with keys.
struct EstablishedMainMode {
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
    /// Whether the peer's proof has been checked (and the SA is in the database).
    var confirmed = false
    /// The peer sent a delete notify: no new Quick Modes; the SA goes when its QMs do.
    var peerDeleted = false
    var quickModeCount = 0
    var expires: Date

    /// The Main Mode proof of one side: Auth1 for the initiator, Auth2 for the responder. A
    /// Quick Mode's messages carry their sender's.
    func proof(of role: SARole) -> [UInt8] { role == .initiator ? auth1 : auth2 }
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
