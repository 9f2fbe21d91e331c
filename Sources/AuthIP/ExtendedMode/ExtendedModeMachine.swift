import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPWire
import Foundation

/// An Extended Mode (MS-AIPS 3.6/3.7) on a Main Mode whose first Quick Mode it keys: from the
/// moment the peer's MM proof is checked until the MM SA goes in the database. The first Quick
/// Mode's agreement waits here until SKEYID_em exists.
struct ExtendedModeMachine {
    /// The rule whose Extended Mode policy applies (the first Quick Mode's).
    var ruleIndex: Int
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

extension ExtendedModeMachine {
    /// Initiator, #7: the methods of the policy this side can start, in its order.
    static func offeredMethods(_ policy: ExtendedModePolicy) -> [AuthMethod] {
        policy.authentication.offered.filter { method in
            policy.authentication.entries(for: method).contains { $0.canRun(as: .initiator) }
        }
    }

    /// Responder, #8: the methods of the peer's #7 this side accepts, in the peer's order
    /// (never anonymous: Extended Mode authenticates).
    static func acceptedMethods(_ offered: [AuthMethod], policy: ExtendedModePolicy) -> [AuthMethod] {
        var accepted: [AuthMethod] = []
        for method in offered
        where method != .anonymous && !accepted.contains(method)
            && policy.authentication.entries(for: method).contains(where: { $0.canRun(as: .acceptor) })
        {
            accepted.append(method)
        }
        return accepted
    }

    /// Initiator, #8: the responder's methods, which must be ones it was offered, in full.
    static func responderChoice(_ answered: [AuthMethod]?, offered: [AuthMethod]) -> [AuthMethod]? {
        let accepted = answered?.filter { offered.contains($0) } ?? []
        guard !accepted.isEmpty, accepted.count == answered?.count else { return nil }
        return accepted
    }

    /// The GSS rounds begin: the Auth lists are out.
    mutating func authenticate(with gss: GSSNegotiation) {
        guard let first = firstQuickMode else { return }
        state = .authenticating(first, gss)
    }

    /// SKEYID_em from the Extended Mode GSS-API secret (with the MM's Z and nonces), and what
    /// it binds every Quick Mode key with.
    static func proof(
        _ mm: KeyedMainMode, context: (any GSSContext)?, localIdentity: String?, impersonation: Bool
    ) -> ExtendedModeProof {
        let skeyidEM = MainModeKeys.extendedModeKey(
            derivation: mm.derivation, z: mm.agreement.sharedSecret,
            initiatorNonce: mm.agreement.initiatorNonce, responderNonce: mm.agreement.responderNonce,
            gssSecret: context?.sessionKey ?? .empty)
        let binding = QuickModeKeys.ExtendedModeBinding(
            initiatorNonce: mm.agreement.initiatorNonce, responderNonce: mm.agreement.responderNonce,
            skeyidEM: skeyidEM)
        return ExtendedModeProof(
            skeyidEM: skeyidEM, binding: binding, localIdentity: localIdentity, remoteIdentity: context?.peerName,
            impersonation: impersonation)
    }

    /// Initiator, the GSS rounds done and the responder checked: its proof and Auth3 (#11).
    /// The machine then waits for Auth4.
    mutating func sendFinal(_ mm: KeyedMainMode, localIdentity: String?, impersonation: Bool) -> [UInt8]? {
        guard case .authenticating(let first, let gss) = state else { return nil }
        let proof = Self.proof(mm, context: gss.context, localIdentity: localIdentity, impersonation: impersonation)
        state = .finalSent(first, gss, proof)
        return gss.transcript.extendedInitiatorProof(skeyidEM: proof.skeyidEM, auth1: mm.auth1)
    }

    /// Responder, #11: Auth3 counts only once the GSS context is complete and its peer
    /// authorized; then explicit credentials only where the policy allows them. The proof and
    /// Auth4 for #12, or the error that ends the Extended Mode.
    static func checkFinal(
        _ hash: HashPayload?, gss: GSSNegotiation, mm: KeyedMainMode, policy: ExtendedModePolicy?,
        principalName: String
    ) -> Result<(ExtendedModeProof, auth4: [UInt8]), WindowsError> {
        guard let context = gss.context, context.isComplete, gss.authorization != nil, let hash else {
            return .failure(.errorIpsecIkeInvalidPayload)
        }
        let proof = Self.proof(
            mm, context: context, localIdentity: principalName,
            impersonation: gss.peerFlags.contains(.impersonationActive))
        guard
            constantTimeEqual(
                hash.data, gss.transcript.extendedInitiatorProof(skeyidEM: proof.skeyidEM, auth1: mm.auth1))
        else {
            return .failure(.errorIpsecIkeInvalidHash)
        }
        if gss.peerFlags.contains(.explicitCredentials), policy?.allowsExplicitCredentials != true {
            return .failure(.errorIpsecIkeAuthorizationFailure)
        }
        return .success((proof, gss.transcript.extendedResponderProof(skeyidEM: proof.skeyidEM, auth2: mm.auth2)))
    }

    /// Initiator, #12: whether Auth4 is the responder's proof over this Extended Mode.
    func acceptsFinal(_ hash: HashPayload?, mm: KeyedMainMode) -> Bool {
        guard case .finalSent(_, let gss, let proof) = state, let hash else { return false }
        return constantTimeEqual(
            hash.data, gss.transcript.extendedResponderProof(skeyidEM: proof.skeyidEM, auth2: mm.auth2))
    }
}
