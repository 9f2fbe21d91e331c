import AuthIPAccounts
import AuthIPCrypto
import AuthIPErrors
import AuthIPTrust
import AuthIPWire
import Foundation

/// One side of one authentication exchange of an AuthIP method, carried as GSS-API tokens in
/// GSS payloads (MS-AIPS 2.2.3.1). The engine feeds it the peer's tokens and sends what it
/// returns, until both sides are complete; the session key then becomes the GSS-APIsecret of
/// the key schedule. Time and randomness are inputs, and what a step needs from outside (CRL
/// downloads, a domain controller's check) is asked for with `.needs` and handed back with
/// `resume`, so an exchange does no I/O and can be replayed.
public protocol GSSContext {
    /// The Auth-payload method this context speaks.
    var method: AuthMethod { get }
    /// Which side this is.
    var role: GSSRole { get }

    /// Feeds the peer's last token (empty for an initiator's first step): the token to send
    /// next (empty when this side has nothing more to send), or what must come first. Throws
    /// with the Windows status that goes into the GSS payload's Status field.
    mutating func step<R: RandomSource>(_ token: [UInt8], now: Date, random: inout R) throws(GSSFailure) -> GSSStep

    /// Goes on with the answer to what the last step `.needs`.
    mutating func resume(_ answer: GSSAnswer, now: Date) throws(GSSFailure) -> GSSStep

    /// Whether this side's part of the exchange has finished successfully.
    var isComplete: Bool { get }
    /// The authenticated peer, once known, in the form Windows logs for the method: a
    /// Kerberos principal (`alice@DA.TEST`), an NTLM account (`CORP\CLIENT1$`), a certificate
    /// subject (RFC 2253). Nil on a side the method does not authenticate (an NTLM initiator).
    var peerName: String? { get }
    /// The GSS-APIsecret, once complete (nil for methods without one, such as Anonymous).
    var sessionKey: SecretBytes? { get }
    /// The GSS-APIsecret in one of TLS's candidate forms (RISK 4/5); other methods have one.
    func sessionKey(_ form: TLSSecretForm) -> SecretBytes?

    /// What authorization judges, as far as the method knows it: the peer's validated
    /// certificate chain (leaf first) ...
    var peerCertificates: [Certificate] { get }
    /// ... the certificates it presented, validated or not (what a failure event names) ...
    var presentedCertificates: [Certificate] { get }
    /// ... the directory account the method authenticated (NTLM) ...
    var authenticatedAccount: Account? { get }
    /// ... the group SIDs its credential carries (a Kerberos ticket's PAC) ...
    var groupSIDs: [String] { get }
    /// ... and the credential's authentication indicators (`pkinit` for a smart card).
    var authenticationIndicators: [String] { get }
}

extension GSSContext {
    public mutating func resume(_ answer: GSSAnswer, now: Date) throws(GSSFailure) -> GSSStep {
        throw GSSFailure(.secEInvalidToken, "the \(method) exchange asked for nothing")
    }

    public func sessionKey(_ form: TLSSecretForm) -> SecretBytes? { sessionKey }
    public var peerCertificates: [Certificate] { [] }
    public var presentedCertificates: [Certificate] { [] }
    public var authenticatedAccount: Account? { nil }
    public var groupSIDs: [String] { [] }
    public var authenticationIndicators: [String] { [] }
}

/// What a step of a context came to.
public enum GSSStep: Sendable, Hashable {
    /// Send this token (empty: nothing more from this side).
    case token([UInt8])
    /// First answer this request (`GSSContext.resume`).
    case needs(GSSRequest)

    /// The token to send; empty while something is needed.
    public var token: [UInt8] {
        if case .token(let token) = self { return token }
        return []
    }
}

/// What a context asks its engine to get from outside.
public enum GSSRequest: Sendable, Hashable {
    /// Download these CRL distribution points (strong revocation checking).
    case crls([String])
    /// Have the domain controller check this NTLM response.
    case domainController(NTLMValidationRequest)
}

/// The answer to a `GSSRequest`.
public enum GSSAnswer: Sendable {
    case crls([String: CRLDownload])
    case domainController(NTLMValidation)
}

/// The two sides of an exchange. The AuthIP initiator is always the GSS initiator.
public enum GSSRole: Sendable, Hashable {
    case initiator
    case acceptor
}

/// Why an authentication exchange failed: the Windows status (an SSPI or certificate HRESULT)
/// that AuthIP carries in the GSS payload and the audit events report, and the detail.
public struct GSSFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var status: WindowsError
    public var detail: String

    public init(_ status: WindowsError, _ detail: String) {
        self.status = status
        self.detail = detail
    }

    public var description: String { "\(status.formattedCode) \(status.name): \(detail)" }
}
