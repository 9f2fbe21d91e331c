import AuthIPCrypto
import AuthIPTrust
import COpenSSL
import Foundation

/// A local computer certificate with its private key and the intermediates to send with it.
public final class TLSIdentity: @unchecked Sendable {
    public let certificate: Certificate
    public let chain: [Certificate]
    let x509: OpaquePointer
    let key: OpaquePointer
    let chainStack: OpaquePointer
    /// The issuer-name hashes of the certificate and its intermediates, for selection.
    private let issuerHashes: Set<UInt>

    /// - Parameters:
    ///   - certificate: the computer certificate.
    ///   - privateKeyPEM: its key (PKCS#8 or traditional PEM, unencrypted).
    ///   - chain: intermediates to send after it.
    public convenience init(
        certificate: Certificate, privateKeyPEM: [UInt8], chain: [Certificate] = []
    ) throws(GSSFailure) {
        try self.init(certificate: certificate, privateKey: SecretBytes(privateKeyPEM), chain: chain)
    }

    /// - Parameters:
    ///   - certificate: the computer certificate.
    ///   - privateKey: its key's PEM (PKCS#8 or traditional, unencrypted), wiped when released.
    ///   - chain: intermediates to send after it.
    public init(certificate: Certificate, privateKey: SecretBytes, chain: [Certificate] = []) throws(GSSFailure) {
        let key: OpaquePointer? = privateKey.withUnsafeBytes { raw in
            let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else {
            ERR_clear_error()
            throw GSSFailure(.secENoCredentials, "the private key is not readable PEM")
        }
        let x509 = certificate.retainedX509()
        guard X509_check_private_key(x509, key) == 1 else {
            X509_free(x509)
            EVP_PKEY_free(key)
            ERR_clear_error()
            throw GSSFailure(.secENoCredentials, "the private key does not match \(certificate.subject)")
        }
        self.certificate = certificate
        self.chain = chain
        self.key = key
        self.x509 = x509
        chainStack = authip_sk_X509_new()
        var hashes: Set<UInt> = [X509_NAME_hash_ex(X509_get_issuer_name(x509), nil, nil, nil)]
        for intermediate in chain {
            let parsed = intermediate.retainedX509()
            hashes.insert(X509_NAME_hash_ex(X509_get_issuer_name(parsed), nil, nil, nil))
            authip_sk_X509_push(chainStack, parsed)
        }
        issuerHashes = hashes
    }

    /// Loads a certificate file (the first certificate is the identity's, the rest its
    /// intermediates) and its key file, which must be its owner's alone (`SecretFileError`
    /// otherwise).
    public convenience init(certificatePath: String, keyPath: String) throws {
        let certificates = try Certificate.load(path: certificatePath)
        guard let first = certificates.first else {
            throw GSSFailure(.secENoCredentials, "no certificate in \(certificatePath)")
        }
        try self.init(
            certificate: first, privateKey: try SecretFile.read(keyPath), chain: Array(certificates.dropFirst()))
    }

    deinit {
        authip_sk_X509_pop_free(chainStack)
        X509_free(x509)
        EVP_PKEY_free(key)
    }

    /// Whether the CA whose name has this hash issued this identity's certificate or one of its
    /// intermediates: the certificate-selection rule against a peer's list of accepted CAs.
    func isIssued(byNameHash hash: UInt) -> Bool {
        issuerHashes.contains(hash)
    }
}
