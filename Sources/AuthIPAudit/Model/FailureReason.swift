import AuthIPErrors

/// Why a negotiation failed: a Win32 `ERROR_IPSEC_*` code or a certificate / SSPI HRESULT,
/// with its Windows symbol and the message text Windows writes into `FailureReason`.
///
/// Every value is an `AuthIPErrors.WindowsError` (generated from the reference tables):
/// `FailureReason(.errorIpsecIkeTimedOut)`; `init(code:)` looks a code up, `all` lists them.
public struct FailureReason: Hashable, Sendable, CustomStringConvertible {
    public let error: WindowsError

    public init(_ error: WindowsError) { self.error = error }

    /// The Win32 error code (13800–13932) or the HRESULT (0x80xxxxxx).
    public var code: UInt32 { error.code }
    /// The winerror.h symbol, e.g. `ERROR_IPSEC_IKE_TIMED_OUT`.
    public var name: String { error.name }
    /// The winerror.h message text, exactly as it appears in the event.
    public var text: String { error.text }

    /// The reason for a Win32 code, an HRESULT, or a Win32 code in its HRESULT_FROM_WIN32
    /// form (0x8007xxxx).
    public init(code: UInt32) throws(AuditModelError) {
        guard let error = WindowsError(decoding: code) else { throw .unknownFailureCode(code) }
        self.init(error)
    }

    public var description: String { "\(name) (\(code)): \(text)" }
}
