import COpenSSL
import Foundation

/// One certificate validation, sans I/O: `start()` answers with a verdict, or with the CRL
/// URLs it needs (strong mode only); the driver downloads them and hands the results to
/// `resume(with:)`, which answers the same way.
///
/// Distribution points are asked for only once the path verifies without revocation (its
/// signatures, validity, constraints and the policies), so a certificate nobody issued never
/// makes the validator fetch. Only `http://` and `ldap://` points are fetched (the order AD CS
/// lists them in is kept: `ldap://` first), at most
/// `maximumDistributionPointsPerCertificate` per certificate and `maximumDownloads` per
/// validation. A download enters the cache only when its signature verifies with the issuer
/// of the certificate that named it.
public struct CertificateValidation {
    /// The most distribution points of one certificate that are downloaded.
    public static let maximumDistributionPointsPerCertificate = 4
    /// The most downloads one validation asks for.
    public static let maximumDownloads = 8

    /// What the validation needs next.
    public enum Step: Sendable {
        case finished(TrustVerdict)
        /// Download these CRL distribution points and call `resume(with:)`.
        case needCRLs([String])
    }

    public let leaf: Certificate
    public let intermediates: [Certificate]
    public let policy: TrustPolicy
    public let cache: CRLCache
    public let time: Date
    private var attempted: Set<String> = []
    private var failures: [String: String] = [:]
    /// The distribution points asked for, with the certificate whose key must sign what they serve.
    private var signers: [String: Certificate] = [:]

    /// - Parameters:
    ///   - leaf: the certificate judged.
    ///   - intermediates: certificates the peer sent; they may complete the path but are not trusted.
    ///   - policy: the roots, the revocation mode and the usage checks.
    ///   - cache: the local CRL cache; strong mode adds what it downloads.
    ///   - time: the validation time (the engine's clock, an input).
    public init(
        leaf: Certificate, intermediates: [Certificate] = [], policy: TrustPolicy, cache: CRLCache, at time: Date
    ) {
        self.leaf = leaf
        self.intermediates = intermediates
        self.policy = policy
        self.cache = cache
        self.time = time
    }

    public mutating func start() -> Step {
        evaluate()
    }

    /// Feeds download results (bytes or a failure text per URL) and continues. Results for
    /// URLs that were not asked for are ignored.
    public mutating func resume(with results: [String: CRLDownload]) -> Step {
        for (url, result) in results.sorted(by: { $0.key < $1.key }) {
            guard let signer = signers.removeValue(forKey: url) else { continue }
            attempted.insert(url)
            switch result {
            case .downloaded(let bytes):
                guard let list = try? RevocationList(bytes) else {
                    failures[url] = "not a CRL"
                    continue
                }
                guard list.isIssued(by: signer), list.signatureVerifies(with: signer.x509) else {
                    failures[url] = "not signed by \(signer.subject)"
                    continue
                }
                do {
                    try cache.insert(list, source: url, persistent: false)
                } catch {
                    failures[url] = "\(error)"
                }
            case .failed(let reason):
                failures[url] = reason
            }
        }
        return evaluate()
    }

    /// The URLs tried so far that gave nothing usable, with why.
    public var downloadFailures: [String: String] { failures }

    private mutating func evaluate() -> Step {
        let candidates = [leaf] + intermediates + policy.trustedRoots
        let issuerHashes = Set(candidates.map { X509_NAME_hash_ex(X509_get_subject_name($0.x509), nil, nil, nil) })
        // Weak mode counts only CRLs current at the validation time; strong mode gives OpenSSL
        // stale ones too, so that it reports them as expired.
        let crls =
            policy.revocation == .none
            ? []
            : cache.all.map(\.list).filter {
                (issuerHashes.contains($0.issuerHash) || $0.requiresWholeList)
                    && (policy.revocation == .strong || $0.isCurrent(at: time))
            }
        let outcome = OpenSSLChainCheck.run(
            leaf: leaf, intermediates: intermediates, roots: policy.trustedRoots,
            crls: crls, mode: policy.revocation, at: time)
        guard let error = outcome.error else {
            for rule in policy.policies {
                if let failure = rule.evaluate(outcome.chain) { return .finished(.invalid(failure)) }
            }
            return .finished(.valid(chain: outcome.chain))
        }
        let subject = outcome.depth < outcome.chain.count ? outcome.chain[outcome.depth] : nil
        let distributionPoints = subject.map(Self.fetchable) ?? []
        if policy.revocation == .strong, OpenSSLChainCheck.unavailableCRLErrors.contains(error), subject != nil {
            let untried = distributionPoints.filter { !attempted.contains($0) }.prefix(
                Self.maximumDownloads - attempted.count)
            if !untried.isEmpty {
                // Nothing is fetched for a path that fails without revocation.
                if let refusal = verdictWithoutRevocation() { return .finished(refusal) }
                let signer = outcome.chain[min(outcome.depth + 1, outcome.chain.count - 1)]
                for url in untried { signers[url] = signer }
                return .needCRLs(Array(untried))
            }
        }
        for url in subject?.crlDistributionPoints ?? [] where !distributionPoints.contains(url) && failures[url] == nil
        {
            failures[url] =
                "not downloaded (only http:// and ldap:// distribution points are, at most \(Self.maximumDistributionPointsPerCertificate))"
        }
        let windowsError = TrustFailure.mapping(
            openSSLError: error, distributionPointsTried: !distributionPoints.isEmpty)
        var detail = TrustFailure.openSSLText(error)
        if let subject { detail += " (depth \(outcome.depth): \(subject.subject))" }
        let tried = (subject?.crlDistributionPoints ?? []).compactMap { url in failures[url].map { "\(url): \($0)" } }
        if !tried.isEmpty { detail += "; " + tried.joined(separator: "; ") }
        return .finished(.invalid(TrustFailure(windowsError, depth: outcome.depth, detail: detail)))
    }

    /// The verdict on the path with revocation left out, when that alone refuses it.
    private func verdictWithoutRevocation() -> TrustVerdict? {
        let outcome = OpenSSLChainCheck.run(
            leaf: leaf, intermediates: intermediates, roots: policy.trustedRoots,
            crls: [], mode: .none, at: time)
        if let error = outcome.error {
            var detail = TrustFailure.openSSLText(error)
            if outcome.depth < outcome.chain.count {
                detail += " (depth \(outcome.depth): \(outcome.chain[outcome.depth].subject))"
            }
            let windowsError = TrustFailure.mapping(openSSLError: error, distributionPointsTried: false)
            return .invalid(TrustFailure(windowsError, depth: outcome.depth, detail: detail))
        }
        for rule in policy.policies {
            if let failure = rule.evaluate(outcome.chain) { return .invalid(failure) }
        }
        return nil
    }

    /// The distribution points of a certificate that may be downloaded: `http://` and
    /// `ldap://` ones, the first few.
    static func fetchable(_ certificate: Certificate) -> [String] {
        Array(
            certificate.crlDistributionPoints.filter {
                let url = $0.lowercased()
                return url.hasPrefix("http://") || url.hasPrefix("ldap://")
            }
            .prefix(maximumDistributionPointsPerCertificate))
    }
}

/// The result of downloading one CRL distribution point.
public enum CRLDownload: Sendable, Hashable {
    case downloaded([UInt8])
    /// Unreachable, an HTTP error, too large, timed out: the text says which.
    case failed(String)
}

/// The outcome of a validation.
public enum TrustVerdict: Sendable, Hashable {
    case valid(chain: [Certificate])
    case invalid(TrustFailure)

    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}
