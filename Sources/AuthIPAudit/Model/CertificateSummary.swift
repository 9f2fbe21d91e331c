/// The certificate details the certificate variants of the MM/EM events carry.
public struct CertificateSummary: Hashable, Sendable {
    /// The SHA-1 thumbprint (20 bytes), written as upper-case hex without separators.
    public let thumbprint: [UInt8]
    /// The issuing CA's name; empty is written `-`.
    public let issuingCA: String
    /// The root CA's name; empty is written `-`.
    public let rootCA: String

    /// Fails when `thumbprint` is not the 20 bytes of a SHA-1 hash.
    public init(thumbprint: [UInt8], issuingCA: String, rootCA: String) throws(AuditModelError) {
        guard thumbprint.count == 20 else { throw .invalidThumbprintLength(thumbprint.count) }
        self.thumbprint = thumbprint
        self.issuingCA = issuingCA
        self.rootCA = rootCA
    }
}

extension Optional<CertificateSummary> {
    /// The three fields (thumbprint, issuing CA, root CA), each `-` when absent.
    var auditValues: [AuditValue] {
        let hex = self?.thumbprint.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        return [.optionalText(hex), .optionalText(self?.issuingCA), .optionalText(self?.rootCA)]
    }
}
