import AuthIPCrypto
import AuthIPWire

/// The engine's decisions where MS-AIPS is silent (Docs/InteropProfile.md, "Engine").
extension InteropProfile {
    /// NAT-D in #1/#2 is hashed before any hash is negotiated: SHA-256 over
    /// CKY-I | CKY-R | address | port, with CKY-R zero in #1 (RFC 3947 otherwise).
    public static let natDiscoveryHash = HashAlgorithm.sha256

    /// Main Mode and Quick Mode nonces are 32 bytes.
    public static let nonceLength = 32

    /// QM synchronize (#7/#8) carries the message ID of the Quick Mode it completes; for the
    /// first Quick Mode (inside exchange 243) that is `firstQuickModeMessageID` on exchange 244.
    public static let quickModeSynchronizeUsesQuickModeMessageID = true

    /// Quick Modes after the first (exchange 244) carry Auth1 (initiator) and Auth2 (responder)
    /// in their Hash payloads, as the first one does (MS-AIPS 3.4.7.3 builds them alike).
    public static let laterQuickModesCarryMainModeProofs = true

    /// A NOTIFY_STATUS that deletes one QM SA has Protocol-ID 2 and, in its Notify exchange,
    /// the message ID of the Quick Mode that made the SA (AuthIP notifies have no SPI field).
    public static let quickModeDeleteUsesQuickModeMessageID = true

    /// RISK 15: a fragmented AuthIP message is sent as Fragment payloads whose data, in order,
    /// is the whole original datagram including its ISAKMP header (so an encrypted message
    /// keeps its E flag); fragments are sent at once when the message exceeds the minimum MTU
    /// and the peer sent the FRAGMENTATION vendor ID.
    public static let fragmentsCarryWholeMessage = true

    /// When Main Mode needs DH, all proposals of #1 use the group of the first one (a KE
    /// payload holds one public value).
    public static let mainModeKeyExchangeUsesFirstProposalGroup = true
}
