/// Every choice this library makes where MS-AIPS is ambiguous or silent, each in one place.
/// `Docs/InteropProfile.md` explains each (numbered as the brief's RISK list) and why.
///
/// The static members are what this side decided. A profile value adds how a peer may
/// differ on the wire: what this endpoint *sends* where Windows builds may send otherwise.
/// Every endpoint accepts every variant whatever its profile (Docs/InteropProfile.md,
/// "Tolerated variants"); `standard` is what we send, and `variants` stand in for the Windows
/// builds we cannot run, in the tests and `authip interop matrix`.
public struct InteropProfile: Sendable, Hashable {
    /// A short name for logs and the interop matrix.
    public var name: String
    /// How this side numbers seqNUM.
    public var sequenceNumbers: SequenceNumbering = .perRequest
    /// How this side frames Extended Mode GSS rounds.
    public var extendedModeGSSFraming: ExtendedModeFraming = .encryptedExtendedModeExchange
    /// The message ID of this side's Extended Mode responses (MS-AIPS 3.7.5.1 says 0; the
    /// figures show the request's, 1).
    public var extendedModeResponseMessageID: UInt32 = InteropProfile.extendedModeMessageID
    /// Whether the Next Payload of an encrypted Crypto payload names the first inner payload
    /// (we send 0: the trailer names it).
    public var encryptedCryptoNamesFirstPayload = false
    /// Flag bits besides LAST_FRAGMENT this side sets in Fragment payloads.
    public var extraFragmentFlags: UInt8 = 0
    /// Whether this side sets the E flag on MM #1 (ignored by the receiver, MS-AIPS 3.3.5.1).
    public var encryptedFlagOnFirstMessage = false
    /// The TLS GSS-APIsecret this side uses first, and whether it tries the other candidates
    /// (`tlsSecretCandidates`); a Windows build knows one form only.
    public var tlsSecret: TLSSecretForm = .exporter
    public var calibratesTLSSecret = true
    /// Whether this side hashes its NAT-D payloads with SHA-1 (RFC 3947's) instead of SHA-256
    /// (E1); a responder answers in the initiator's.
    public var natDiscoveryWithSHA1 = false
    /// The Quick Mode KEYMAT split this side's rules use (`ConnectionSecurityRule.quickModeKeyOrder`):
    /// no proof can tell, so a peer that differs needs the administrator's setting to match.
    public var quickModeKeyOrder: QuickModeKeyOrder = InteropProfile.quickModeKeyOrder
    /// The form of the Main Mode proofs this side computes first, and whether it tries the
    /// others (`TranscriptForm.candidates`).
    public var transcriptForm = TranscriptForm.standard
    public var calibratesTranscript = true
    /// Whether this side, as responder, sets GSS_RESPONDER_AUTH_COMPLETE on its last GSS
    /// answer (some builds may leave it out).
    public var setsResponderAuthComplete = true
    /// Whether this side's MM #1 carries a payload of a type AuthIP does not define (private
    /// use, not critical), as a newer build might.
    public var unknownPayloadInFirstMessage = false
    /// Whether this side, as initiator, carries its first method's first token in MM #1 when
    /// it knows the responder's SPN from an SA with that peer (MS-AIPS 3.2.4).
    public var firstTokenInFirstMessage = true
    /// Whether this side, as responder, answers a token carried in MM #1 in #2 (3.3.5.1);
    /// a build that does not sends GSS_ID as if there were none, and the initiator starts over.
    public var answersFirstTokenInFirstMessage = true

    public init(name: String) {
        self.name = name
    }

    /// What this library sends.
    public static let standard = InteropProfile(name: "default")

    /// Profiles that send what Windows builds may send instead, one difference each.
    public static let variants: [InteropProfile] = [
        .variant("seqnum-per-message") { $0.sequenceNumbers = .perMessage },
        .variant("seqnum-per-exchange") { $0.sequenceNumbers = .perExchange },
        .variant("em-response-message-id-0") { $0.extendedModeResponseMessageID = 0 },
        .variant("em-gss-on-243-clear") { $0.extendedModeGSSFraming = .clearMainModeExchange },
        .variant("crypto-next-payload") { $0.encryptedCryptoNamesFirstPayload = true },
        .variant("fragment-flags") { $0.extraFragmentFlags = 0x80 },
        .variant("first-message-e-flag") { $0.encryptedFlagOnFirstMessage = true },
        .variant("unknown-payload") { $0.unknownPayloadInFirstMessage = true },
        .variant("no-responder-auth-complete") { $0.setsResponderAuthComplete = false },
        .variant("tls-secret-eap-key") {
            $0.tlsSecret = .eapKeyMaterial
            $0.calibratesTLSSecret = false
        },
        .variant("auth-over-whole-messages") {
            $0.transcriptForm = TranscriptForm(coverage: .wholeMessage, hashChain: true)
            $0.calibratesTranscript = false
        },
        .variant("auth-with-crypto-payload-unhashed") {
            $0.transcriptForm = TranscriptForm(coverage: .withCryptoPayload, hashChain: false)
            $0.calibratesTranscript = false
        },
        .variant("nat-d-sha1") { $0.natDiscoveryWithSHA1 = true },
        .variant("qm-keys-encryption-first") { $0.quickModeKeyOrder = .encryptionKeyFirst },
        .variant("tls-secret-master-secret") {
            $0.tlsSecret = .masterSecret
            $0.calibratesTLSSecret = false
        },
        .variant("no-first-message-token") { $0.firstTokenInFirstMessage = false },
        .variant("first-message-token-ignored") { $0.answersFirstTokenInFirstMessage = false },
    ]

    /// The standard profile or a variant, by name.
    public static func named(_ name: String) -> InteropProfile? {
        ([standard] + variants).first { $0.name == name }
    }

    static func variant(_ name: String, _ change: (inout InteropProfile) -> Void) -> InteropProfile {
        var profile = InteropProfile(name: name)
        change(&profile)
        return profile
    }

    /// RISK 1: the QM KEYMAT split. MS-AIPS 3.4.5.2 and 3.5.5.2 (the two role sections that
    /// compute the keys) put the integrity key first; 3.1.7.4 says the opposite.
    public static let quickModeKeyOrder: QuickModeKeyOrder = .integrityKeyFirst

    /// RISK 3: the fixed hash of MM messages #1 and #2 in the Auth1/Auth2 chain.
    public static let transcriptFixedHashMessageCount = 2

    /// RISK 4/5: certificate authentication is a TLS 1.2 handshake carried as whole records;
    /// its GSS-APIsecret is the RFC 5705 exporter output for this label (no context value).
    public static let tlsExporterLabel = "EXPORTER-AuthIP-GSS-APIsecret"
    /// RISK 4/5: the length of the TLS exporter output used as GSS-APIsecret.
    public static let tlsExporterLength = 32
    /// RISK 4/5, calibrated: the GSS-APIsecret forms of TLS a responder tries on the peer's first
    /// encrypted message (the one whose keys verify its ICV wins) and an initiator tries in turn
    /// when Main Mode goes unanswered after #5, in this order; what worked is remembered per peer.
    public static let tlsSecretCandidates: [TLSSecretForm] = [.exporter, .eapKeyMaterial, .masterSecret]

    /// RISK 6: every EM message, GSS rounds included, uses exchange type 245, the E flag and
    /// this message ID.
    public static let extendedModeMessageID: UInt32 = 1

    /// RISK 9: the optional IV of a clear Crypto payload is 8 bytes, whatever the cipher. (The
    /// Payload Length of an encrypted one is 8 + IV length, with ciphertext and ICV running to
    /// the end of the message: `CryptoPayload`.)
    public static let clearCryptoPayloadIVLength = 8

    /// RISK 11: the NOTIFY_STATUS and DOS_COOKIE numbers we send (MS-AIPS); MS-IKEE's
    /// 0x9C43/0x9C44 are accepted as well.
    public static let sentStatusNotify = NotifyMessageType.status
    public static let sentDoSCookieNotify = NotifyMessageType.dosCookie

    /// The "MS NT5 ISAKMPOAKLEY" version we send: 8 (Windows 7 / Server 2008 R2, DirectAccess's
    /// first platform). Version 9 (Windows 8 / 2012) would announce what came with it, Key
    /// Dictation among it, which this library does not implement; a peer that dictates keys
    /// anyway has its Quick Mode failed with ERROR_IPSEC_IKE_INVALID_PAYLOAD (4654).
    public static let advertisedWindowsVersion: UInt32 = 8

    /// RISK 17: the message ID of the first QM (#5/#6, inside exchange 243), which also feeds
    /// the QM key derivation.
    public static let firstQuickModeMessageID: UInt32 = 0
}

/// Which half of the QM KEYMAT is which.
public enum QuickModeKeyOrder: String, Sendable, Hashable {
    /// The first ipsechashLength bytes authenticate, the last ipseccryptLength encrypt.
    case integrityKeyFirst = "integrity-key-first"
    /// The first ipseccryptLength bytes encrypt, the rest authenticate.
    case encryptionKeyFirst = "encryption-key-first"
}

/// How a side numbers the seqNUM of its messages (MS-AIPS 2.2.3.2 leaves it open).
public enum SequenceNumbering: Sendable, Hashable {
    /// A counter per exchange type for the requests a side starts; a response echoes its
    /// request's (RISK 8: ours).
    case perRequest
    /// One counter for every message a side sends, responses included.
    case perMessage
    /// One number for a whole exchange: every request carries 0, a response echoes it.
    case perExchange
}

/// How Extended Mode GSS rounds travel (RISK 6).
public enum ExtendedModeFraming: Sendable, Hashable {
    /// Exchange 245, encrypted (the figures; ours).
    case encryptedExtendedModeExchange
    /// Exchange 243 with E clear (MS-AIPS's GSS role text).
    case clearMainModeExchange
}

/// What the GSS-APIsecret of certificate authentication is (RISK 4/5). AuthIP over TLS
/// shipped with Vista, years before Schannel had an RFC 5705 exporter, so the form Windows
/// uses is calibrated against the peer's own proof rather than guessed.
public enum TLSSecretForm: String, CaseIterable, Sendable, Hashable {
    /// The RFC 5705 exporter with `InteropProfile.tlsExporterLabel`, 32 bytes (ours).
    case exporter = "exporter"
    /// RFC 5216's EAP-TLS key material ("client EAP encryption"), its first 64 bytes (the MSK).
    case eapKeyMaterial = "eap-tls-msk"
    /// The 48-byte TLS master secret.
    case masterSecret = "master-secret"
}

/// What the Main Mode proofs Auth1/Auth2 are computed over (RISK 3; MS-AIPS 3.1.7.4 "hash all
/// the IKE payloads as plaintext"), calibrated against the peer's Auth1.
public struct TranscriptForm: Sendable, Hashable, CustomStringConvertible {
    /// Which bytes of each message enter the transcript.
    public enum Coverage: String, Sendable, Hashable, CaseIterable {
        /// The plaintext payload chain after the Crypto payload (ours).
        case payloadChain = "payloads"
        /// The Crypto payload (header, seqNUM, IV) and the chain.
        case withCryptoPayload = "crypto+payloads"
        /// The whole message, ISAKMP header included.
        case wholeMessage = "message"
    }

    public var coverage: Coverage
    /// Whether the prf takes the hash chain h_n (ours) or the messages themselves.
    public var hashChain: Bool

    public init(coverage: Coverage, hashChain: Bool) {
        self.coverage = coverage
        self.hashChain = hashChain
    }

    /// Ours: the hash chain over the payload chains.
    public static let standard = TranscriptForm(coverage: .payloadChain, hashChain: true)
    /// Every form a responder tries on Auth1, and an initiator in turn; ours first.
    public static let candidates: [TranscriptForm] = [true, false].flatMap { hashChain in
        Coverage.allCases.map { TranscriptForm(coverage: $0, hashChain: hashChain) }
    }

    public var description: String { "\(coverage.rawValue)\(hashChain ? "" : ", no hash chain")" }
}
