import AuthIPErrors
import AuthIPNIO
import AuthIPTestSupport
import AuthIPTrust
import Foundation
import Testing

/// The PKI of TestVectors/pki/attacks.
enum AttackPKI {
    static let directory = TestVectors.directory.appendingPathComponent("pki/attacks")
    static let validationTime = ISO8601DateFormatter().date(from: "2026-11-01T00:00:00Z")!

    static func certificate(_ file: String) throws -> Certificate {
        try #require(try Certificate.load(path: directory.appendingPathComponent(file).path).first)
    }

    static func crl(_ file: String) throws -> [UInt8] {
        Array(try #require(FileManager.default.contents(atPath: directory.appendingPathComponent(file).path)))
    }

    static var root: Certificate { get throws { try certificate("root.pem") } }

    /// A strong validation of `file`'s certificate against the root, with `cache`.
    static func strongValidation(of file: String, cache: CRLCache = CRLCache()) throws -> CertificateValidation {
        CertificateValidation(
            leaf: try certificate(file), policy: .directAccessServer(roots: [try root], revocation: .strong),
            cache: cache, at: validationTime)
    }
}

/// Runs a validation to its end, answering downloads from the loopback server; returns the
/// verdict as the fixtures write it and the URLs asked for.
func validate(
    _ leaf: Certificate, mode: RevocationMode, cache: CRLCache, root: Certificate, at time: Date
) throws
    -> (result: String, requested: [String])
{
    var validation = CertificateValidation(
        leaf: leaf, policy: .directAccessServer(roots: [root], revocation: mode), cache: cache, at: time)
    var requested: [String] = []
    var step = validation.start()
    while case .needCRLs(let urls) = step {
        requested += urls
        step = validation.resume(with: CRLDownloader(timeout: .seconds(5)).fetch(urls))
    }
    guard case .finished(let verdict) = step else { throw CancellationError() }
    switch verdict {
    case .valid: return ("VALID", requested)
    case .invalid(let failure): return (failure.error.name, requested)
    }
}

@Suite("Delta CRLs, genuine and forged")
struct DeltaCRLTests {
    @Test("The fixtures are all there")
    func loaded() { #expect(CDPFixture.all(in: "pki/attacks").count == 6) }

    static func run(_ c: CDPFixture, _ mode: RevocationMode) throws -> String {
        let cache = CRLCache()
        for file in c.cached { try cache.insert(try AttackPKI.crl(file), source: "file:\(file)") }
        return try validate(
            try AttackPKI.certificate(c.certificate), mode: mode, cache: cache, root: try AttackPKI.root,
            at: AttackPKI.validationTime
        ).result
    }

    @Test(
        "Weak mode: genuine deltas revoke and un-revoke; a forged delta never decides",
        arguments: CDPFixture.all(in: "pki/attacks"))
    func weak(_ c: CDPFixture) throws {
        #expect(try Self.run(c, .weak) == c.expectedWeak)
    }

    @Test("Strong mode: the same", arguments: CDPFixture.all(in: "pki/attacks"))
    func strong(_ c: CDPFixture) throws {
        #expect(try Self.run(c, .strong) == c.expectedStrong)
    }
}

@Suite(
    "Strong mode's downloads: only for verified paths, only HTTP and LDAP, bounded, verified before caching",
    .serialized)
struct DistributionPointAttackTests {
    init() throws {
        try #require(
            LoopbackHTTPServer.attackDistributionPoints != nil,
            "the loopback HTTP server could not bind 127.0.0.1:18933")
    }

    static var server: LoopbackHTTPServer { LoopbackHTTPServer.attackDistributionPoints! }

    @Test("A certificate the root never signed makes no download: its signature failure is the verdict")
    func unverifiedCertificate() throws {
        let before = Self.server.requestedPaths.count
        var validation = try AttackPKI.strongValidation(of: "self-made.pem")
        guard case .finished(.invalid(let failure)) = validation.start() else {
            Issue.record("a download was asked for a certificate whose signature does not verify")
            return
        }
        #expect(failure.error == .trustECertSignature)
        #expect(Self.server.requestedPaths.count == before)
    }

    @Test("file:// distribution points are never handed to the driver; ldap:// ones are")
    func noLocalFiles() throws {
        let (result, requested) = try validate(
            try AttackPKI.certificate("file-cdp.pem"), mode: .strong, cache: CRLCache(),
            root: try AttackPKI.root, at: AttackPKI.validationTime)
        #expect(requested == ["ldap:///CN=Attack,CN=CDP?certificateRevocationList"])
        #expect(result == "CRYPT_E_REVOCATION_OFFLINE")
    }

    @Test("At most four distribution points of one certificate are downloaded")
    func perCertificateCap() throws {
        let before = Self.server.requestedPaths.count
        let (result, requested) = try validate(
            try AttackPKI.certificate("many-cdps.pem"), mode: .strong, cache: CRLCache(),
            root: try AttackPKI.root, at: AttackPKI.validationTime)
        #expect(requested.count == CertificateValidation.maximumDistributionPointsPerCertificate)
        #expect(
            Self.server.requestedPaths.count - before == CertificateValidation.maximumDistributionPointsPerCertificate)
        #expect(result == "CRYPT_E_REVOCATION_OFFLINE")
    }

    @Test("A download not signed by the certificate's issuer is refused and never cached; the cache stays usable")
    func forgedDownload() throws {
        let cache = CRLCache()
        var validation = try AttackPKI.strongValidation(of: "forged-at-cdp.pem", cache: cache)
        guard case .needCRLs(let urls) = validation.start(),
            case .finished(.invalid(let failure)) = validation.resume(with: CRLDownloader().fetch(urls))
        else {
            Issue.record("expected one download, then a failure")
            return
        }
        #expect(failure.error == .cryptERevocationOffline)
        #expect(failure.detail.contains("not signed by"))
        #expect(cache.all.isEmpty)
        // The genuine base still decides for the next certificate.
        let next = try validate(
            try AttackPKI.certificate("revoked.pem"), mode: .strong, cache: cache, root: try AttackPKI.root,
            at: AttackPKI.validationTime)
        #expect(next.result == "CERT_E_REVOKED")
        #expect(cache.all.map(\.source) == ["http://127.0.0.1:18933/base.crl"])
    }

    @Test("Answers for URLs that were not asked for are ignored")
    func unaskedAnswers() throws {
        let cache = CRLCache()
        var validation = try AttackPKI.strongValidation(of: "good.pem", cache: cache)
        guard case .needCRLs(let urls) = validation.start() else {
            Issue.record("expected a download")
            return
        }
        var results = CRLDownloader().fetch(urls)
        results["http://elsewhere.example/forged.crl"] = .downloaded(try AttackPKI.crl("delta-forged-revoke.crl"))
        guard case .finished(.valid) = validation.resume(with: results) else {
            Issue.record("the genuine base should decide")
            return
        }
        #expect(cache.all.count == 1)
    }
}

@Suite("The CRL cache: issues only move forward, and it is bounded")
struct CRLCacheBoundTests {
    @Test("An older issue of a cached list is refused; the same or a newer one replaces it")
    func monotonic() throws {
        let cache = CRLCache()
        try cache.insert(try AttackPKI.crl("base.crl"), source: "http://a/base.crl", persistent: false)
        #expect(throws: TrustInputError.self) {
            try cache.insert(try AttackPKI.crl("base-older.crl"), source: "http://b/base.crl", persistent: false)
        }
        #expect(throws: TrustInputError.self) {
            try cache.insert(try AttackPKI.crl("base-older.crl"), source: "http://a/base.crl", persistent: false)
        }
        try cache.insert(try AttackPKI.crl("base.crl"), source: "http://a/base.crl", persistent: false)
        #expect(cache.all.count == 1)
        let fresh = CRLCache()
        try fresh.insert(try AttackPKI.crl("base-older.crl"), source: "http://b/base.crl", persistent: false)
        try fresh.insert(try AttackPKI.crl("base.crl"), source: "http://a/base.crl", persistent: false)
        #expect(fresh.all.map(\.list.number) == [[10]], "the newer issue replaces the older from another source")
        // A delta is another list than its base.
        try fresh.insert(try AttackPKI.crl("delta-genuine.crl"), source: "http://a/delta.crl", persistent: false)
        #expect(fresh.all.count == 2)
    }

    @Test("Past its bounds the cache drops the oldest lists")
    func bounded() throws {
        let pkits = TestVectors.directory.appendingPathComponent("pki/pkits/crls")
        let files = ["GoodCACRL", "TrustAnchorRootCRL", "BadSignedCACRL"]
        let cache = CRLCache(maximumEntries: 2)
        for file in files {
            try cache.insert(
                Array(
                    try #require(FileManager.default.contents(atPath: pkits.appendingPathComponent("\(file).crl").path))
                ),
                source: file, persistent: false)
        }
        #expect(cache.all.map(\.source) == ["TrustAnchorRootCRL", "BadSignedCACRL"])
        let small = CRLCache(maximumBytes: 1)
        try small.insert(try AttackPKI.crl("base.crl"), source: "a", persistent: false)
        try small.insert(try AttackPKI.crl("delta-genuine.crl"), source: "b", persistent: false)
        #expect(small.all.map(\.source) == ["b"])
    }
}
