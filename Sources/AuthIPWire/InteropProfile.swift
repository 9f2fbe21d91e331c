/// Every choice this library makes where MS-AIPS is ambiguous or silent, each in one place.
/// `Docs/InteropProfile.md` explains each (numbered as the brief's RISK list) and why.
public enum InteropProfile {
    /// RISK 1: the QM KEYMAT split. MS-AIPS 3.4.5.2 and 3.5.5.2 (the two role sections that
    /// compute the keys) put the integrity key first; 3.1.7.4 says the opposite.
    public static let quickModeKeyOrder: QuickModeKeyOrder = .integrityKeyFirst

    /// RISK 2: OtherInfo is AlgorithmID (2 bytes big-endian) || CKY-I || CKY-R || SuppPubInfo
    /// || SuppPrivInfo, with no length prefixes.
    public static let otherInfoAlgorithmIDLength = 2

    /// RISK 3: "#n" in the Auth hash chains is the plaintext payload chain of message n (every
    /// payload after the Crypto payload, generic headers included; the ISAKMP header, the
    /// Crypto payload, padding and ICV excluded).
    public static let transcriptCoversPayloadChainOnly = true

    /// RISK 3: the fixed hash of MM messages #1 and #2 in the Auth1/Auth2 chain.
    public static let transcriptFixedHashMessageCount = 2

    /// RISK 6: every EM message, GSS rounds included, uses exchange type 245, the E flag and
    /// this message ID.
    public static let extendedModeMessageID: UInt32 = 1

    /// RISK 9: in an encrypted message the Crypto Payload Length is 8 + IV length; the
    /// ciphertext and the ICV run to the end of the message.
    public static let encryptedCryptoPayloadLengthCoversIVOnly = true

    /// RISK 9: the optional IV of a clear Crypto payload is 8 bytes, whatever the cipher.
    public static let clearCryptoPayloadIVLength = 8

    /// RISK 11: the NOTIFY_STATUS and DOS_COOKIE numbers we send (MS-AIPS); MS-IKEE's
    /// 0x9C43/0x9C44 are accepted as well.
    public static let sentStatusNotify = NotifyMessageType.status
    public static let sentDoSCookieNotify = NotifyMessageType.dosCookie

    /// RISK 12: retransmissions of a request before the negotiation fails (Windows note <12>).
    public static let maximumRetransmissions = 4

    /// RISK 13: MM transforms carry no Authentication Method attribute (the Auth payload says
    /// it), and carry Group Description 0 when the methods need no DH.
    public static let mainModeTransformCarriesAuthMethod = false

    /// RISK 17: the message ID of the first QM (#5/#6, inside exchange 243), which also feeds
    /// the QM key derivation.
    public static let firstQuickModeMessageID: UInt32 = 0
}

/// Which half of the QM KEYMAT is which.
public enum QuickModeKeyOrder: Sendable {
    /// The first ipsechashLength bytes authenticate, the last ipseccryptLength encrypt.
    case integrityKeyFirst
    /// The first ipseccryptLength bytes encrypt, the rest authenticate.
    case encryptionKeyFirst
}
