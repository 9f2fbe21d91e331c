import AuthIPAccounts
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPTrust
import AuthIPWire
import Foundation

/// Which authentication a GSS exchange belongs to: Main Mode (exchange 243, clear, message ID
/// 0) or Extended Mode (exchange 245, encrypted, `InteropProfile.extendedModeMessageID`; or,
/// as the profile's variant, exchange 243 in clear with message ID 0).
enum AuthenticationStage: Hashable {
    case mainMode
    case extendedMode

    /// The exchange type and message ID of this side's GSS rounds.
    func framing(_ profile: InteropProfile) -> (exchange: ExchangeType, messageID: UInt32) {
        if self == .mainMode || profile.extendedModeGSSFraming == .clearMainModeExchange { return (.mainMode, 0) }
        return (.extendedMode, InteropProfile.extendedModeMessageID)
    }
    var purpose: RequestPurpose { self == .mainMode ? .mainMode : .extendedMode }
}

/// The GSS rounds of one authentication (MS-AIPS 3.8/3.9) with method and credential retry:
/// the sub-machine Main Mode and Extended Mode share. It holds the methods the responder
/// accepted, which one runs with which credentials, its context, what the exchange waits for
/// from outside (one thing at most), the transcript the proofs are computed over, and, once
/// every check said yes, the `Authorization` that keying requires.
struct GSSNegotiation {
    /// The methods the responder accepted, in the initiator's order.
    var methods: [AuthMethod]
    var transcript: AuthenticationTranscript
    /// The responder's SPN from GSS_ID (the Kerberos target unless the rule pins one).
    var peerPrincipalName: String?
    /// The position in `methods` of the method being run.
    var methodIndex = 0
    /// Initiator: which of its credentials for that method is being tried.
    var credentialIndex = 0
    var started = false
    var context: (any GSSContext)? {
        // An authorization belongs to the context it was granted for: a context started
        // anew, stepped or dropped has none until its own checks say yes.
        didSet { authorization = nil }
    }
    /// Initiator: the responder said GSS_RESPONDER_AUTH_COMPLETE.
    var peerComplete = false
    var attempts = 0
    /// Responder: how often each method (by its position in `methods`) was started.
    var starts: [Int: Int] = [:]
    /// The last failure, reported if the negotiation ends without success.
    var lastFailure: NegotiationError?
    /// What a step waits for from the driver; it takes no new token meanwhile.
    var wait: ExternalWait?
    /// The certificates the peer presented, for the certificate variants of the events.
    var peerChain: [Certificate] = []
    /// Responder: the GSS flags of the peer's requests (impersonation, explicit credentials).
    var peerFlags: GSSFlags = []
    /// The peer's name as the last context knew it, kept when a failure drops the context.
    var lastPeerName: String?
    /// Once the context is complete and every check said yes: what keys may be derived with.
    /// Set after the context's last change; any change of the context clears it.
    var authorization: Authorization?

    init(methods: [AuthMethod], transcript: AuthenticationTranscript, peerPrincipalName: String?) {
        self.methods = methods
        self.transcript = transcript
        self.peerPrincipalName = peerPrincipalName
    }

    /// The method being run; past the end of the list, nil.
    var method: AuthMethod? { methods.indices.contains(methodIndex) ? methods[methodIndex] : nil }

    /// The method to report: the current one, or the last one tried.
    var reportedMethod: AuthMethod? { method ?? methods.last }

    /// How a NOTIFY_STATUS from the peer ends the negotiation: with this side's own failure
    /// when the peer only gives up on the refusal this side sent (the side that found a failure
    /// reports it as its own, FailurePoint "Local computer"), else with the peer's.
    func failure(notified code: UInt32) -> NegotiationError {
        let notified = WindowsError.lookup(code)
        if let lastFailure, lastFailure.point == .localComputer, lastFailure.code == notified { return lastFailure }
        return .remote(notified)
    }

    /// The peer's chain as far as it is known.
    var knownPeerChain: [Certificate] {
        if !peerChain.isEmpty { return peerChain }
        return context?.presentedCertificates ?? []
    }
}

/// What a GSS step waits for: CRL downloads, the remote directory's answer on the peer's
/// account, or the domain controller's check of an NTLM response.
enum ExternalWait {
    /// A token exchange suspended until these CRLs are downloaded (strong revocation checking).
    case crls(CRLWait)
    /// A completed step held until the remote directory answers for the peer's account.
    case account(AccountWait)
    /// An NTLM AUTHENTICATE step held until the domain controller has checked it.
    case domainController(DomainControllerWait)

    var deadline: Date {
        switch self {
        case .crls(let wait): return wait.deadline
        case .account(let wait): return wait.deadline
        case .domainController(let wait): return wait.deadline
        }
    }

    /// Under which keys the answers come (`Endpoint` routes them by these).
    var keys: [WaitKey] {
        switch self {
        case .crls(let wait): return wait.urls.sorted().map { .crl($0) }
        case .account(let wait): return [.account(wait.key)]
        case .domainController(let wait): return [.domainController(wait.serverChallenge)]
        }
    }
}

/// The key an answer of the driver comes back under.
enum WaitKey: Hashable {
    case crl(String)
    /// `AccountQuery.key`.
    case account(String)
    /// The server challenge of the NTLM exchange.
    case domainController([UInt8])
}

struct CRLWait {
    var urls: Set<String>
    var results: [String: CRLDownload] = [:]
    var deadline: Date
    /// Responder: the GSS request's key, to answer once resumed.
    var requestKey: ExchangeKey?
}

struct AccountWait {
    /// `AccountQuery.key` of the account.
    var key: String
    var deadline: Date
    var requestKey: ExchangeKey
    var token: [UInt8]
}

struct DomainControllerWait {
    /// The exchange's server challenge, which the answer names.
    var serverChallenge: [UInt8]
    var deadline: Date
    var requestKey: ExchangeKey
}
