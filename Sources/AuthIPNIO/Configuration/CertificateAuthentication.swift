import AuthIPGSS
import AuthIPTrust
import Foundation

/// The members of a `certificate` authentication entry: this side's certificates with their
/// keys, the roots the peer's chain must lead to, the revocation mode (none, weak or strong;
/// weak when absent), an optional folder the CRL cache persists in, and optionally the usage
/// the peer's certificate must carry: client authentication (`"peerUsage": "initiator"`) or
/// server authentication (`"responder"`).
struct CertificateAuthentication: Decodable {
    var identities: [IdentityFiles]
    var trustedRoots: [String]
    var revocation: RevocationMode
    /// Whether `revocation` was given (the DirectAccess client's default differs: none).
    var revocationGiven: Bool
    var crlCache: String?
    var peerUsage: ExtendedKeyUsagePolicy?
    /// "1.2" (the default), or a range such as "1.0-1.2" for Windows 7 clients.
    var tlsVersions: ClosedRange<TLSVersion>

    /// A certificate file (the certificate, then its intermediates) and its unencrypted key.
    struct IdentityFiles: Decodable {
        var certificate: String
        var key: String

        private enum CodingKeys: String, CodingKey { case certificate, key }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownMembers(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            certificate = try container.decode(String.self, forKey: .certificate)
            key = try container.decode(String.self, forKey: .key)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case method, identities, trustedRoots, revocation, crlCache, peerUsage, tlsVersions
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let usages = ["initiator": ExtendedKeyUsagePolicy.initiator, "responder": ExtendedKeyUsagePolicy.responder]
        identities = try container.decodeNonEmpty([IdentityFiles].self, forKey: .identities)
        trustedRoots = try container.decodeNonEmpty([String].self, forKey: .trustedRoots)
        let givenRevocation = try container.decodeIfPresent(
            .revocation, as: "none, weak or strong", RevocationMode.init(rawValue:))
        revocation = givenRevocation ?? .weak
        revocationGiven = givenRevocation != nil
        crlCache = try container.decodeIfPresent(String.self, forKey: .crlCache)
        peerUsage = try container.decodeIfPresent(.peerUsage, as: "initiator or responder") { usages[$0] }
        tlsVersions =
            try container.decodeIfPresent(.tlsVersions, as: "a TLS version or a range such as 1.0-1.2") { text in
                let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map {
                    TLSVersion(name: String($0))
                }
                guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
                    low <= high
                else { return nil }
                return low...high
            } ?? .tls12 ... .tls12
    }

    /// The TLS configuration with the certificates, keys, roots and CRL cache loaded.
    func tlsConfiguration(field: String, file: (String) -> String) throws(DriverConfigurationError) -> TLSConfiguration
    {
        var loaded: [TLSIdentity] = []
        for (index, identity) in identities.enumerated() {
            let certificate = file(identity.certificate), key = file(identity.key)
            do {
                loaded.append(try TLSIdentity(certificatePath: certificate, keyPath: key))
            } catch {
                throw .unloadable(
                    field: "\(field).identities[\(index)]", path: "\(certificate) and \(key)", reason: "\(error)")
            }
        }
        var roots: [Certificate] = []
        for (index, root) in trustedRoots.enumerated() {
            do {
                roots += try Certificate.load(path: file(root))
            } catch {
                throw .unloadable(field: "\(field).trustedRoots[\(index)]", path: file(root), reason: "\(error)")
            }
        }
        let trust = TrustPolicy(
            trustedRoots: roots, revocation: revocation,
            policies: [DigitalSignatureKeyUsagePolicy()] + (peerUsage.map { [$0] } ?? []))
        guard let crlCache else { return TLSConfiguration(identities: loaded, trust: trust, versions: tlsVersions) }
        do {
            return TLSConfiguration(
                identities: loaded, trust: trust,
                crlCache: try CRLCache(directory: URL(fileURLWithPath: file(crlCache))), versions: tlsVersions)
        } catch {
            throw .unloadable(field: "\(field).crlCache", path: file(crlCache), reason: "\(error)")
        }
    }
}
