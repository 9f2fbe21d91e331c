import AuthIPErrors
import COpenSSL

/// Why a certificate path is not trusted: the HRESULT Windows would report, the depth of the
/// certificate concerned (0 = the leaf) when one is, and OpenSSL's own words.
public struct TrustFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var error: WindowsError
    public var depth: Int?
    public var detail: String

    public init(_ error: WindowsError, depth: Int? = nil, detail: String) {
        self.error = error
        self.depth = depth
        self.detail = detail
    }

    public var description: String { "\(error.formattedCode) \(error.name) \(error.text)" }

    /// The Windows error for an OpenSSL verification error. `distributionPointsTried` says,
    /// for a missing or stale CRL, whether the certificate had distribution points (all of
    /// which failed): Windows then reports the revocation server offline rather than no
    /// revocation check at all.
    static func mapping(openSSLError code: Int32, distributionPointsTried: Bool) -> WindowsError {
        switch code {
        case X509_V_ERR_CERT_REVOKED:
            return .certERevoked
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID,
            X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
            return .certEExpired
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return .certEChaining
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_CERT_UNTRUSTED:
            return .certEUntrustedroot
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
            X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
            return .trustECertSignature
        case X509_V_ERR_INVALID_CA:
            return .trustEBasicConstraints
        case X509_V_ERR_PATH_LENGTH_EXCEEDED:
            return .certEPathlenconst
        case X509_V_ERR_KEYUSAGE_NO_CERTSIGN, X509_V_ERR_INVALID_PURPOSE:
            return .certEWrongUsage
        case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
            return .certECritical
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID:
            return distributionPointsTried ? .cryptERevocationOffline : .cryptENoRevocationCheck
        case X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
            X509_V_ERR_KEYUSAGE_NO_CRL_SIGN,
            X509_V_ERR_DIFFERENT_CRL_SCOPE, X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION,
            X509_V_ERR_CRL_PATH_VALIDATION_ERROR,
            X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, X509_V_ERR_INVALID_EXTENSION,
            X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD,
            X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
            return .cryptENoRevocationCheck
        default:
            return .trustEFail
        }
    }

    static func openSSLText(_ code: Int32) -> String {
        String(cString: X509_verify_cert_error_string(Int(code)))
    }
}
