import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// Where a Main Mode is. Each phase carries what it needs and nothing it does not: keys exist
/// only from `keyed` on, and only with the `Authorization` of the peer; an SA is in the database
/// only in `established`.
enum MainModePhase {
    /// Initiator: #1 sent, waiting for #2.
    case offered(MainModeOffer)
    /// Both roles: #1/#2 done; the GSS rounds until both contexts are complete and authorized.
    case authenticating(MainModeAuthentication)
    /// Keys derived; the peer's proof (Auth1 in #5, Auth2 in #6) not checked yet.
    case keyed(KeyedMainMode)
    /// The peer's proof checked; the first Quick Mode and then Extended Mode run before the MM
    /// SA counts (MS-AIPS 3.6/3.7).
    case extendedMode(KeyedMainMode, ExtendedModeMachine)
    /// In the database, carrying Quick Modes.
    case established(KeyedMainMode, Establishment)
    /// Removed: only waiting for the acknowledgements of the notifies sent.
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
    /// #1 as last sent (again with the DoS cookie), as the transcript takes it.
    var sent = TranscriptMessage(chain: [])
    /// The first method's first token, when #1 carries it.
    var firstToken: FirstMessageToken?
}

/// The initiator's first token in #1 (MS-AIPS 3.2.4), made for the responder's SPN known from
/// an SA with that peer: its context goes on with the answer in #2.
struct FirstMessageToken {
    var context: any GSSContext
    /// The SPN the token was made for: #2 carries no GSS_ID when it answers the token.
    var peerPrincipalName: String
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

/// The GSS rounds of Main Mode, with what #1/#2 settled.
struct MainModeAuthentication {
    var agreement: MainModeAgreement
    var gss: GSSNegotiation
    /// Responder: #2, until the GSS answer to the token in #1 completes it.
    var pendingSecond: SecondMessage?
}

/// A Main Mode with keys: what they were derived from, the proofs of both sides, who was
/// authenticated, and the authorization that let the keys be made. A reference, made once per
/// key derivation and owned by its session's phase: reading it from the phase retains it
/// instead of copying some twenty members, and the few members that change (the settled proof
/// form, the Quick Mode count) change in place.
final class KeyedMainMode {
    let agreement: MainModeAgreement
    let derivation: KeyDerivation
    let keys: MainModeKeys
    let protection: CryptoPayloadProtection
    var auth1: [UInt8]
    var auth2: [UInt8]
    let method: AuthMethod
    let localIdentity: String?
    let remoteIdentity: String?
    let localCertificate: Certificate?
    /// The peer's certificate (TLS) as the events write it: the leaf's thumbprint, issuer and
    /// root. The chain itself is not kept: its X.509 objects would be most of an idle MM SA's
    /// memory.
    let peerCertificate: CertificateSummary?
    /// The computer the leaf names (`ComputerIdentity(certificate:)`).
    let peerComputer: ComputerIdentity?
    /// With TLS: the GSS-APIsecret form the keys came from.
    let tlsSecret: TLSSecretForm?
    /// The form Auth1 and Auth2 are in, and until the peer's proof settles it, the transcript
    /// to compute the other candidate forms from (`TranscriptForm.candidates`).
    var transcriptForm: TranscriptForm
    var transcript: AuthenticationTranscript?
    /// The checks of the peer Main Mode authenticated, passed.
    let authorization: Authorization
    /// Quick Modes of this MM SA after the first, for its QM limit.
    var quickModeCount = 0
    let expires: Date

    init(
        agreement: MainModeAgreement, derivation: KeyDerivation, keys: MainModeKeys,
        protection: CryptoPayloadProtection, auth1: [UInt8], auth2: [UInt8], method: AuthMethod,
        localIdentity: String?, remoteIdentity: String?, localCertificate: Certificate?, peerChain: [Certificate],
        tlsSecret: TLSSecretForm?, transcriptForm: TranscriptForm, transcript: AuthenticationTranscript?,
        authorization: Authorization, expires: Date
    ) {
        self.agreement = agreement
        self.derivation = derivation
        self.keys = keys
        self.protection = protection
        self.auth1 = auth1
        self.auth2 = auth2
        self.method = method
        self.localIdentity = localIdentity
        self.remoteIdentity = remoteIdentity
        self.localCertificate = localCertificate
        peerCertificate = CertificateSummary(peerChain)
        peerComputer = peerChain.first.flatMap(ComputerIdentity.init(certificate:))
        self.tlsSecret = tlsSecret
        self.transcriptForm = transcriptForm
        self.transcript = transcript
        self.authorization = authorization
        self.expires = expires
    }

    /// Whether the MM SA has carried as many Quick Modes as its QM limit allows (0: no limit):
    /// traffic it no longer carries needs a new Main Mode.
    var reachedQuickModeLimit: Bool {
        agreement.quickModeLimit > 0 && quickModeCount >= Int(agreement.quickModeLimit)
    }

    /// The Main Mode proof of one side: Auth1 for the initiator, Auth2 for the responder. A
    /// Quick Mode's messages carry their sender's.
    func proof(of role: SARole) -> [UInt8] { role == .initiator ? auth1 : auth2 }
}

/// What an MM SA in the database carries besides its keys.
struct Establishment {
    /// The rule whose checks the SA passed (its Extended Mode's, if one ran): later Quick
    /// Modes may only be for rules that share its authorization.
    var authorizedRule: Int
    /// Once Extended Mode has run: what binds every Quick Mode key to it (MS-AIPS 3.1.7.4).
    let extendedModeBinding: QuickModeKeys.ExtendedModeBinding?
    /// The peer sent a delete notify: no new Quick Modes; the SA goes when its QMs do.
    var peerDeleted = false
}
