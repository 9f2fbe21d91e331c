import AuthIPCrypto
import COpenSSL
import Foundation

/// A throw-away certificate authority: a self-signed root that issues computer certificates
/// (RSA-2048 or ECDSA P-256) and CRLs, for demos, simulations and tests. Keys come from
/// OpenSSL's generator and live only in memory.
public final class CertificateAuthority: @unchecked Sendable {
    public let certificate: Certificate
    private let key: OpaquePointer
    private let x509: OpaquePointer
    private let organization: String

    /// What an issued certificate may be used for.
    public enum Usage: Sendable {
        case clientAuthentication
        case serverAuthentication
        /// Client authentication and NAP System Health Authentication.
        case healthClient

        var extendedKeyUsage: String {
            switch self {
            case .clientAuthentication: return "clientAuth"
            case .serverAuthentication: return "serverAuth"
            case .healthClient: return "clientAuth," + ExtendedKeyUsage.systemHealth
            }
        }
    }

    /// A certificate with its private key in PEM.
    public struct Issued: Sendable {
        public let certificate: Certificate
        public let privateKeyPEM: [UInt8]
    }

    /// A new root `CN=commonName, O=organization`, valid between the dates.
    public init(commonName: String, organization: String, notBefore: Date, notAfter: Date) throws(TrustInputError) {
        guard let key = authip_generate_key(0) else { throw .issuingFailed("root key: " + OpenSSL.lastError()) }
        guard
            let x509 = authip_issue_certificate(
                key, organization, commonName, nil, key, 1, time_t(notBefore.timeIntervalSince1970),
                time_t(notAfter.timeIntervalSince1970), "critical,CA:TRUE",
                "critical,keyCertSign,cRLSign", nil, nil)
        else {
            EVP_PKEY_free(key)
            throw .issuingFailed("root certificate: " + OpenSSL.lastError())
        }
        self.key = key
        self.x509 = x509
        self.organization = organization
        certificate = Certificate(retaining: x509)
    }

    deinit {
        EVP_PKEY_free(key)
        X509_free(x509)
    }

    /// A computer certificate `CN=commonName` with this serial number.
    public func issue(
        commonName: String, usage: Usage, serial: Int, ecdsa: Bool = false, notBefore: Date, notAfter: Date,
        crlDistributionPoint: String? = nil
    ) throws(TrustInputError) -> Issued {
        guard let subjectKey = authip_generate_key(ecdsa ? 1 : 0) else {
            throw .issuingFailed("key: " + OpenSSL.lastError())
        }
        defer { EVP_PKEY_free(subjectKey) }
        let keyUsage = ecdsa ? "critical,digitalSignature" : "critical,digitalSignature,keyEncipherment"
        guard
            let issued = authip_issue_certificate(
                subjectKey, organization, commonName, x509, key, serial,
                time_t(notBefore.timeIntervalSince1970), time_t(notAfter.timeIntervalSince1970),
                "critical,CA:FALSE", keyUsage, usage.extendedKeyUsage,
                crlDistributionPoint.map { "URI:" + $0 })
        else {
            throw .issuingFailed("certificate \(commonName): " + OpenSSL.lastError())
        }
        return Issued(certificate: Certificate(taking: issued), privateKeyPEM: try Self.pem(subjectKey))
    }

    /// A CRL revoking these serial numbers, in DER.
    public func revocationList(
        revoking serials: [Int], thisUpdate: Date, nextUpdate: Date, number: Int = 1
    ) throws(TrustInputError) -> [UInt8] {
        let values = serials.map { CLong($0) }
        guard
            let crl = values.withUnsafeBufferPointer({ buffer in
                authip_issue_crl(
                    x509, key, time_t(thisUpdate.timeIntervalSince1970), time_t(nextUpdate.timeIntervalSince1970),
                    buffer.baseAddress, Int32(buffer.count), CLong(number))
            })
        else { throw .issuingFailed("CRL: " + OpenSSL.lastError()) }
        defer { X509_CRL_free(crl) }
        let length = i2d_X509_CRL(crl, nil)
        guard length > 0 else { throw .issuingFailed("CRL: " + OpenSSL.lastError()) }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        _ = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509_CRL(crl, &cursor)
        }
        return bytes
    }

    private static func pem(_ key: OpaquePointer) throws(TrustInputError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .issuingFailed("key: " + OpenSSL.lastError()) }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else {
            throw .issuingFailed("key: " + OpenSSL.lastError())
        }
        let length = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: length)
        guard length > 0,
            bytes.withUnsafeMutableBytes({ BIO_read(bio, $0.baseAddress, Int32(length)) }) == Int32(length)
        else {
            throw .issuingFailed("key: empty PEM")
        }
        return bytes
    }
}
