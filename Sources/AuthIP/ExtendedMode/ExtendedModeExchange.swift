import AuthIPCrypto
import AuthIPSADatabase
import Foundation

/// An Extended Mode (MS-AIPS 3.6/3.7) on an MM SA whose first Quick Mode it keys: the Quick
/// Mode's agreement waits here until SKEYID_em exists.
struct ExtendedModeExchange {
    /// The rule whose Extended Mode policy applies (the Quick Mode's).
    let ruleIndex: Int
    var quickMode: QuickModeExchange
    var agreement: QuickModeAgreement
    /// nil until the Auth lists are exchanged (#7/#8).
    var gss: GSSNegotiation?
    /// Once the GSS rounds are done: SKEYID_em.
    var skeyidEM: SecretBytes?
    /// Initiator: Auth3 sent and the inbound SA installed.
    var finalRequestSent = false
    /// The identities proved in Extended Mode.
    var localIdentity: String?
    var remoteIdentity: String?
    /// Whether the Extended Mode runs as the user (GSS_IMPERSONATION_ACTIVE).
    var impersonation = false
}
