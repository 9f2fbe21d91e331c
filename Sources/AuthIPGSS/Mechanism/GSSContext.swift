import AuthIPCrypto
import AuthIPErrors
import AuthIPWire
import Foundation

/// One side of one authentication exchange of an AuthIP method, carried as GSS-API tokens in
/// GSS payloads (MS-AIPS 2.2.3.1). The engine feeds it the peer's tokens and sends what it
/// returns, until both sides are complete; the session key then becomes the GSS-APIsecret of
/// the key schedule. Time and randomness are inputs, so an exchange can be replayed.
public protocol GSSContext {
    /// The Auth-payload method this context speaks.
    var method: AuthMethod { get }
    /// Which side this is.
    var role: GSSRole { get }

    /// Feeds the peer's last token (empty for an initiator's first step) and returns the token
    /// to send next (empty when this side has nothing more to send). Throws with the Windows
    /// status that goes into the GSS payload's Status field.
    mutating func step<R: RandomSource>(_ token: [UInt8], now: Date, random: inout R) throws(GSSFailure) -> [UInt8]

    /// Whether this side's part of the exchange has finished successfully.
    var isComplete: Bool { get }
    /// The authenticated peer, once known, in the form Windows logs for the method: a
    /// Kerberos principal (`alice@DA.TEST`), an NTLM account (`CORP\CLIENT1$`), a certificate
    /// subject (RFC 2253). Nil on a side the method does not authenticate (an NTLM initiator).
    var peerName: String? { get }
    /// The GSS-APIsecret, once complete (nil for methods without one, such as Anonymous).
    var sessionKey: SecretBytes? { get }
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
