import AuthIPErrors
import AuthIPTestSupport
import AuthIPTrust
import Foundation
import Testing

@Suite("IPsec certificate policies")
struct PolicyTests {
    static func verdict(_ name: String, _ policy: (Certificate) -> TrustPolicy) throws -> TrustVerdict {
        let root = try CDPFixture.load("root.pem")
        var validation = CertificateValidation(
            leaf: try CDPFixture.load("\(name).pem"), policy: policy(root),
            cache: CRLCache(), at: CDPFixture.validationTime)
        guard case .finished(let verdict) = validation.start() else { throw CancellationError() }
        return verdict
    }

    static func failure(_ verdict: TrustVerdict) -> WindowsError? {
        if case .invalid(let failure) = verdict { return failure.error }
        return nil
    }

    @Test("The server requires client authentication of the initiator's certificate")
    func initiatorUsage() throws {
        let server = { (root: Certificate) in TrustPolicy.directAccessServer(roots: [root], revocation: .none) }
        #expect(try Self.verdict("policy-client-auth-only", server).isValid)
        #expect(Self.failure(try Self.verdict("policy-server-auth-only", server)) == .certEWrongUsage)
        #expect(try Self.verdict("policy-ike-intermediate", server).isValid)
    }

    @Test("The client requires server authentication of the responder's certificate")
    func responderUsage() throws {
        let client = { (root: Certificate) in TrustPolicy.directAccessClient(roots: [root]) }
        #expect(try Self.verdict("policy-server-auth-only", client).isValid)
        #expect(Self.failure(try Self.verdict("policy-client-auth-only", client)) == .certEWrongUsage)
        #expect(try Self.verdict("policy-ike-intermediate", client).isValid)
    }

    @Test("A key usage without digitalSignature is refused")
    func keyUsage() throws {
        let server = { (root: Certificate) in TrustPolicy.directAccessServer(roots: [root], revocation: .none) }
        #expect(Self.failure(try Self.verdict("policy-no-digital-signature", server)) == .certEWrongUsage)
    }

    @Test("The health-certificate check finds the NAP usage")
    func health() throws {
        let nap = { (root: Certificate) in
            TrustPolicy(trustedRoots: [root], revocation: .none, policies: [HealthCertificatePolicy()])
        }
        #expect(try Self.verdict("policy-health", nap).isValid)
        #expect(try CDPFixture.load("policy-health.pem").isHealthCertificate)
        #expect(Self.failure(try Self.verdict("policy-client-auth-only", nap)) == .certEWrongUsage)
    }

    @Test("Roots come from configuration only: a chain to another root fails")
    func untrustedRoot() throws {
        let pkitsRoot = try #require(
            try Certificate.load(
                path: PKITSCase.directory.appendingPathComponent("certs/TrustAnchorRootCertificate.crt").path
            ).first)
        let verdict = try Self.verdict("policy-client-auth-only") { _ in
            TrustPolicy(trustedRoots: [pkitsRoot], revocation: .none)
        }
        #expect(Self.failure(verdict) == .certEChaining)
        // The peer cannot make its own root trusted by sending it as an intermediate.
        var validation = CertificateValidation(
            leaf: try CDPFixture.load("policy-client-auth-only.pem"),
            intermediates: [try CDPFixture.load("root.pem")],
            policy: TrustPolicy(trustedRoots: [pkitsRoot], revocation: .none),
            cache: CRLCache(), at: CDPFixture.validationTime)
        guard case .finished(let second) = validation.start() else { throw CancellationError() }
        #expect(Self.failure(second) == .certEUntrustedroot)
    }

    @Test("Validity is judged at the given time")
    func validityTime() throws {
        let root = try CDPFixture.load("root.pem")
        var late = CertificateValidation(
            leaf: try CDPFixture.load("policy-client-auth-only.pem"),
            policy: .directAccessServer(roots: [root], revocation: .none),
            cache: CRLCache(), at: ISO8601DateFormatter().date(from: "2040-01-01T00:00:00Z")!)
        guard case .finished(let verdict) = late.start() else { throw CancellationError() }
        #expect(Self.failure(verdict) == .certEExpired)
    }

    @Test("Malformed certificates and CRLs are typed errors")
    func malformedInputs() {
        #expect(throws: TrustInputError.malformedCertificate) { try Certificate.parseAll([0x30, 0x03, 0x02, 0x01]) }
        #expect(throws: TrustInputError.malformedCertificate) {
            try Certificate.parseAll(Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8))
        }
        #expect(throws: TrustInputError.malformedCRL) { try RevocationList(Array("garbage".utf8)) }
        #expect(throws: TrustInputError.unreadable("/nonexistent.pem")) {
            try Certificate.load(path: "/nonexistent.pem")
        }
    }
}

@Suite("CRL cache")
struct CRLCacheTests {
    static func served(_ name: String) throws -> [UInt8] {
        Array(
            try #require(
                FileManager.default.contents(atPath: CDPFixture.directory.appendingPathComponent("served/\(name)").path)
            ))
    }

    @Test("A directory cache persists, reloads, replaces by issuer and source, and purges expired CRLs")
    func persistence() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-crl-cache-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = try CRLCache(directory: directory)
        try cache.insert(try Self.served("clean.crl"), source: "http://a/clean.crl")
        try cache.insert(try Self.served("expired.crl"), source: "http://a/expired.crl")
        try cache.insert(try Self.served("revoking.crl"), source: "http://a/clean.crl")
        #expect(cache.all.count == 2)
        let reloaded = try CRLCache(directory: directory)
        #expect(reloaded.all.map(\.source).sorted() == ["http://a/clean.crl", "http://a/expired.crl"])
        #expect(reloaded.all.first { $0.source == "http://a/clean.crl" }?.list.entryCount == 1)
        #expect(reloaded.listing().count == 2)
        #expect(reloaded.listing().allSatisfy { $0.contains("CN=Fixture Root CA") })
        #expect(try reloaded.purgeExpired(at: CDPFixture.validationTime) == 1)
        let afterPurge = try CRLCache(directory: directory)
        #expect(afterPurge.all.map(\.source) == ["http://a/clean.crl"])
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".crl") }
        #expect(files.count == 1)
    }

    @Test("CRL metadata is read once at insertion")
    func metadata() throws {
        let list = try RevocationList(try Self.served("expired.crl"))
        let format = ISO8601DateFormatter()
        #expect(format.string(from: list.thisUpdate) == "2026-05-01T00:00:00Z")
        #expect(list.nextUpdate.map(format.string(from:)) == "2026-06-01T00:00:00Z")
        #expect(!list.isCurrent(at: CDPFixture.validationTime))
        #expect(list.issuer == "CN=Fixture Root CA,O=swift-authip fixtures")
        #expect(!list.isDelta)
        let pem = try RevocationList(
            Array(
                try #require(
                    FileManager.default.contents(
                        atPath: CDPFixture.directory.appendingPathComponent("cached-revoking.crl").path))))
        #expect(pem.entryCount == 1)
    }
}
