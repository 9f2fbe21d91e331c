import AuthIPGSS
import AuthIPTrust
import Foundation

/// A PKI made for one run: a root, the DirectAccess server's computer certificate, client
/// computer certificates on demand, and a CRL. Nothing touches the disk.
public final class ThrowawayPKI: @unchecked Sendable {
    public let authority: CertificateAuthority
    public let server: TLSIdentity
    public let notBefore: Date
    public let notAfter: Date
    private var nextSerial = 0x1000

    /// A root and a server certificate valid around `now`.
    public init(now: Date, serverName: String = "DASERVER.corp.contoso.com") throws {
        notBefore = now.addingTimeInterval(-86_400)
        notAfter = now.addingTimeInterval(2 * 365 * 86_400)
        authority = try CertificateAuthority(
            commonName: "Contoso Throw-away Root", organization: "swift-authip demo",
            notBefore: notBefore, notAfter: notAfter.addingTimeInterval(86_400))
        let issued = try authority.issue(
            commonName: serverName, usage: .serverAuthentication, serial: 2, notBefore: notBefore, notAfter: notAfter)
        server = try TLSIdentity(certificate: issued.certificate, privateKeyPEM: issued.privateKeyPEM)
    }

    /// A client computer certificate `CN=NAME.corp.contoso.com` (ECDSA P-256, quick to make for
    /// many clients); its serial number is in `identity.certificate.serialNumber`.
    public func client(
        _ name: String, usage: CertificateAuthority.Usage = .clientAuthentication,
        crlDistributionPoint: String? = nil
    ) throws -> (identity: TLSIdentity, serial: Int) {
        nextSerial += 1
        let issued = try authority.issue(
            commonName: "\(name).corp.contoso.com", usage: usage, serial: nextSerial, ecdsa: true,
            notBefore: notBefore, notAfter: notAfter, crlDistributionPoint: crlDistributionPoint)
        return (try TLSIdentity(certificate: issued.certificate, privateKeyPEM: issued.privateKeyPEM), nextSerial)
    }

    /// A CRL of the root revoking these serials, valid from `now` for a week.
    public func revocationList(revoking serials: [Int], now: Date) throws -> [UInt8] {
        try authority.revocationList(
            revoking: serials, thisUpdate: now.addingTimeInterval(-3_600),
            nextUpdate: now.addingTimeInterval(7 * 86_400))
    }
}
