/// Every choice this library makes where MS-AIPS is ambiguous or silent, each in one place.
/// `Docs/InteropProfile.md` explains each (numbered as the brief's RISK list) and why.
public enum InteropProfile {
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
