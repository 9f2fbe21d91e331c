/// Why a negotiation failed: a Win32 `ERROR_IPSEC_*` code or a certificate / SSPI HRESULT,
/// with its Windows symbol and the message text Windows writes into `FailureReason`.
///
/// Every value comes from the generated table (`Generated/FailureReasonTable.swift`); use the
/// named constants (`.ikeTimedOut`, `.ikeAuthorizationFailure`, `.cryptRevocationOffline`)
/// or look a code up with `init(code:)`.
public struct FailureReason: Hashable, Sendable, CustomStringConvertible {
    /// The Win32 error code (13800–13932) or the HRESULT (0x80xxxxxx).
    public let code: UInt32
    /// The winerror.h symbol, e.g. `ERROR_IPSEC_IKE_TIMED_OUT`.
    public let name: String
    /// The winerror.h message text, exactly as it appears in the event.
    public let text: String

    init(code: UInt32, name: String, text: String) {
        self.code = code
        self.name = name
        self.text = text
    }

    /// The reason for a Win32 code, an HRESULT, or a Win32 code in its HRESULT_FROM_WIN32
    /// form (0x8007xxxx).
    public init(code: UInt32) throws(AuditModelError) {
        if let reason = FailureReason.byCode[code] {
            self = reason
        } else if code & 0xFFFF_0000 == 0x8007_0000, let reason = FailureReason.byCode[code & 0xFFFF] {
            self = reason
        } else {
            throw .unknownFailureCode(code)
        }
    }

    public var description: String { "\(name) (\(code)): \(text)" }

    private static let byCode: [UInt32: FailureReason] = Dictionary(
        all.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
}
