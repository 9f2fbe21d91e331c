import AuthIPCrypto
import AuthIPKeySchedule
import Foundation

/// An Extended Mode (MS-AIPS 3.6/3.7) on a Main Mode whose first Quick Mode it keys: from the
/// moment the peer's MM proof is checked until the MM SA goes in the database. The first Quick
/// Mode's agreement waits here until SKEYID_em exists.
struct ExtendedModeMachine {
    /// The rule whose Extended Mode policy applies (the first Quick Mode's).
    let ruleIndex: Int
    var state: State = .awaitingQuickMode

    init(ruleIndex: Int) { self.ruleIndex = ruleIndex }

    enum State {
        /// The first Quick Mode runs; Extended Mode starts at its synchronize.
        case awaitingQuickMode
        /// Responder: the first Quick Mode synchronized, waiting for #7 (the Auth list).
        case awaitingMethods(FirstQuickMode)
        /// The Auth lists sent (#7, or #8 at the responder), then the GSS rounds.
        case authenticating(FirstQuickMode, GSSNegotiation)
        /// Initiator: Auth3 sent and the inbound SA installed, waiting for Auth4.
        case finalSent(FirstQuickMode, GSSNegotiation, ExtendedModeProof)
    }

    /// The first Quick Mode, synchronized and waiting for the Extended Mode's key.
    var firstQuickMode: FirstQuickMode? {
        switch state {
        case .awaitingQuickMode: return nil
        case .awaitingMethods(let first), .authenticating(let first, _), .finalSent(let first, _, _): return first
        }
    }

    /// Whether Extended Mode has started: the first Quick Mode is done.
    var hasStarted: Bool {
        if case .awaitingQuickMode = state { return false }
        return true
    }

    /// The GSS rounds, once the Auth lists are out.
    var negotiation: GSSNegotiation? {
        switch state {
        case .authenticating(_, let gss), .finalSent(_, let gss, _): return gss
        default: return nil
        }
    }

    mutating func setNegotiation(_ gss: GSSNegotiation) {
        switch state {
        case .authenticating(let first, _): state = .authenticating(first, gss)
        case .finalSent(let first, _, let proof): state = .finalSent(first, gss, proof)
        default: break
        }
    }

    /// The first Quick Mode's synchronize: Extended Mode may start.
    mutating func quickModeSynchronized(_ exchange: QuickModeMachine, _ agreement: QuickModeAgreement) {
        guard case .awaitingQuickMode = state else { return }
        state = .awaitingMethods(FirstQuickMode(exchange: exchange, agreement: agreement))
    }

    /// What binds the Quick Mode keys to this Extended Mode, once SKEYID_em exists.
    var binding: QuickModeKeys.ExtendedModeBinding? {
        if case .finalSent(_, _, let proof) = state { return proof.binding }
        return nil
    }
}

/// The first Quick Mode of a Main Mode with Extended Mode: synchronized, its SA waiting.
struct FirstQuickMode {
    var exchange: QuickModeMachine
    var agreement: QuickModeAgreement
}

/// What the Extended Mode's GSS rounds proved: its key, the binding of Quick Mode keys, and the
/// identities both sides authenticated.
struct ExtendedModeProof {
    var skeyidEM: SecretBytes
    var binding: QuickModeKeys.ExtendedModeBinding
    var localIdentity: String?
    var remoteIdentity: String?
    /// Whether the Extended Mode ran as the user (GSS_IMPERSONATION_ACTIVE).
    var impersonation: Bool
}
