import COpenSSL
import Foundation

/// One certificate validation, sans I/O: `start()` answers with a verdict, or with the CRL
/// URLs it needs (strong mode only); the driver downloads them and hands the results to
/// `resume(with:)`, which answers the same way.
public struct CertificateValidation {
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

    /// - Parameters:
    ///   - intermediates: certificates the peer sent; they may complete the path but are not trusted.
    ///   - cache: the local CRL cache; strong mode adds what it downloads.
    ///   - time: the validation time (the engine's clock, an input).
    public init(leaf: Certificate, intermediates: [Certificate] = [], policy: TrustPolicy, cache: CRLCache, at time: Date) {
        self.leaf = leaf
        self.intermediates = intermediates
        self.policy = policy
        self.cache = cache
        self.time = time
    }

    public mutating func start() -> Step {
        evaluate()
    }

    /// Feeds download results (bytes or a failure text per URL) and continues.
    public mutating func resume(with results: [String: CRLDownload]) -> Step {
        for (url, result) in results {
            attempted.insert(url)
            switch result {
            case .downloaded(let bytes):
                do {
                    try cache.insert(bytes, source: url)
                } catch {
                    failures[url] = "not a CRL"
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
        let crls = policy.revocation == .none ? [] : cache.all.map(\.list).filter {
            (issuerHashes.contains($0.issuerHash) || $0.requiresWholeList)
                && (policy.revocation == .strong || $0.isCurrent(at: time))
        }
        let outcome = OpenSSLChainCheck.run(leaf: leaf, intermediates: intermediates, roots: policy.trustedRoots,
                                            crls: crls, mode: policy.revocation, at: time)
        guard let error = outcome.error else {
            for rule in policy.policies {
                if let failure = rule.evaluate(outcome.chain) { return .finished(.invalid(failure)) }
            }
            return .finished(.valid(chain: outcome.chain))
        }
        let subject = outcome.depth < outcome.chain.count ? outcome.chain[outcome.depth] : nil
        let distributionPoints = subject?.crlDistributionPoints ?? []
        if policy.revocation == .strong, OpenSSLChainCheck.unavailableCRLErrors.contains(error) {
            let untried = distributionPoints.filter { !attempted.contains($0) }
            if !untried.isEmpty { return .needCRLs(untried) }
        }
        let windowsError = TrustFailure.mapping(openSSLError: error, distributionPointsTried: !distributionPoints.isEmpty)
        var detail = TrustFailure.openSSLText(error)
        if let subject { detail += " (depth \(outcome.depth): \(subject.subject))" }
        let tried = distributionPoints.compactMap { url in failures[url].map { "\(url): \($0)" } }
        if !tried.isEmpty { detail += "; " + tried.joined(separator: "; ") }
        return .finished(.invalid(TrustFailure(windowsError, depth: outcome.depth, detail: detail)))
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
