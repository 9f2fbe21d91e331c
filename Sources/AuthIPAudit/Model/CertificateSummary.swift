/// The certificate details the certificate variants of the MM/EM events carry.
public struct CertificateSummary: Hashable, Sendable {
    /// The SHA-1 thumbprint, written as upper-case hex without separators.
    public var thumbprint: [UInt8]
    /// The issuing CA's name.
    public var issuingCA: String
    /// The root CA's name.
    public var rootCA: String

    public init(thumbprint: [UInt8], issuingCA: String, rootCA: String) {
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
