import AuthIPAudit
import AuthIPCrypto

/// The DH groups of the key schedule (AuthIPAudit has a namesake for the event field).
typealias DiffieHellmanGroup = AuthIPCrypto.DiffieHellmanGroup
/// How far a Quick Mode got, as 4654 reports it.
typealias QuickModeState = AuthIPAudit.QuickModeState
