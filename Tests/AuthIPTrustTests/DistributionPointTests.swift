import AuthIPErrors
import AuthIPJSON
import AuthIPNIO
import AuthIPTestSupport
import AuthIPTrust
import Foundation
import Testing

/// A revocation fixture: a certificate, the CRLs cached before it is judged, and the verdict
/// expected in each mode. Those of TestVectors/pki/cdp have distribution points served over
/// real HTTP; those of TestVectors/pki/attacks are base and delta CRLs, genuine and forged.
struct CDPFixture: CustomTestStringConvertible, Sendable {
    let name: String
    let certificate: String
    let cached: [String]
    let expectedWeak: String
    let expectedStrong: String

    var testDescription: String { name }

    static let directory = TestVectors.directory.appendingPathComponent("pki/cdp")

    /// The fixtures of `folder`'s fixtures.json.
    static func all(in folder: String = "pki/cdp") -> [CDPFixture] {
        guard let json = try? TestVectors.load("\(folder)/fixtures.json") else { return [] }
        return (json["fixtures"]?.arrayValue ?? []).map { f in
            CDPFixture(
                name: f["name"]?.stringValue ?? "", certificate: f["certificate"]?.stringValue ?? "",
                cached: (f["cached"]?.arrayValue ?? []).compactMap(\.stringValue),
                expectedWeak: f["expectedWeak"]?.stringValue ?? "",
                expectedStrong: f["expectedStrong"]?.stringValue ?? "")
        }
    }

    static let validationTime: Date = {
        let text = (try? TestVectors.load("pki/cdp/fixtures.json"))?["validationTime"]?.stringValue ?? ""
        return ISO8601DateFormatter().date(from: text)!
    }()

    static var server: LoopbackHTTPServer? { LoopbackHTTPServer.distributionPoints }

    static func load(_ file: String) throws -> Certificate {
        try #require(try Certificate.load(path: directory.appendingPathComponent(file).path).first)
    }

    /// The validation result as the fixture file writes it: VALID or the symbolic name.
    func run(_ mode: RevocationMode, cache: CRLCache = CRLCache()) throws -> (result: String, requested: [String]) {
        for file in cached {
            try cache.insert(
                Array(
                    try #require(FileManager.default.contents(atPath: Self.directory.appendingPathComponent(file).path))
                ),
                source: "file:\(file)")
        }
        var validation = CertificateValidation(
            leaf: try Self.load(certificate),
            policy: .directAccessServer(roots: [try Self.load("root.pem")], revocation: mode),
            cache: cache, at: Self.validationTime)
        let fetcher = CRLDownloader(timeout: .seconds(5))
        var requested: [String] = []
        var step = validation.start()
        while case .needCRLs(let urls) = step {
            requested += urls
            step = validation.resume(with: fetcher.fetch(urls))
        }
        guard case .finished(let verdict) = step else { throw CancellationError() }
        switch verdict {
        case .valid: return ("VALID", requested)
        case .invalid(let failure): return (failure.error.name, requested)
        }
    }
}

@Suite("CRL distribution points over HTTP", .serialized)
struct DistributionPointTests {
    init() throws {
        try #require(CDPFixture.server != nil, "the loopback HTTP server could not bind 127.0.0.1:18931")
    }

    @Test("Weak mode consults the cache only and never downloads", arguments: CDPFixture.all())
    func weak(_ fixture: CDPFixture) throws {
        let (result, requested) = try fixture.run(.weak)
        #expect(result == fixture.expectedWeak)
        #expect(requested.isEmpty)
    }

    @Test("Strong mode downloads the distribution point and fails when it cannot", arguments: CDPFixture.all())
    func strong(_ fixture: CDPFixture) throws {
        let (result, requested) = try fixture.run(.strong)
        #expect(result == fixture.expectedStrong)
        let certificate = try CDPFixture.load(fixture.certificate)
        if fixture.cached.isEmpty {
            // With nothing usable cached, every distribution point was tried.
            #expect(requested == certificate.crlDistributionPoints)
        }
    }

    @Test("The fixtures cover every case the issue lists")
    func coverage() {
        #expect(CDPFixture.all().count == 9)
    }

    @Test("A downloaded CRL enters the cache, and the next strong validation needs no download")
    func downloadsAreCached() throws {
        let fixture = try #require(CDPFixture.all().first { $0.name == "clean-cdp" })
        let cache = CRLCache()
        let first = try fixture.run(.strong, cache: cache)
        #expect(first.result == "VALID" && first.requested.count == 1)
        #expect(cache.all.map(\.source) == ["http://127.0.0.1:18931/clean.crl"])
        let second = try fixture.run(.strong, cache: cache)
        #expect(second.result == "VALID" && second.requested.isEmpty)
    }

    @Test("A download enters a directory cache in memory only; saveIfChanged writes it, once")
    func downloadsAreSavedByTheDriver() throws {
        let fixture = try #require(CDPFixture.all().first { $0.name == "clean-cdp" })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-crl-save-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = try CRLCache(directory: directory)
        let files = { try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() }
        let first = try fixture.run(.strong, cache: cache)
        #expect(first.result == "VALID" && first.requested.count == 1)
        #expect(try files().isEmpty)
        #expect(cache.hasUnsavedChanges)
        #expect(try cache.saveIfChanged())
        #expect(!cache.hasUnsavedChanges)
        #expect(try !cache.saveIfChanged())
        #expect(try files().filter { $0.hasSuffix(".crl") }.count == 1)
        #expect(try CRLCache(directory: directory).all.map(\.source) == ["http://127.0.0.1:18931/clean.crl"])

        // A write that fails leaves the change unsaved, for the next attempt.
        try FileManager.default.removeItem(at: directory)
        try cache.insert(try CRLCacheTests.served("expired.crl"), source: "http://a/expired.crl", persistent: false)
        #expect(throws: (any Error).self) { try cache.saveIfChanged() }
        #expect(cache.hasUnsavedChanges)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect(try cache.saveIfChanged())
        #expect(try CRLCache(directory: directory).all.count == 2)
    }

    @Test("A failure carries the HRESULT and the Windows text")
    func failureText() throws {
        let fixture = try #require(CDPFixture.all().first { $0.name == "revoked-at-cdp" })
        var validation = CertificateValidation(
            leaf: try CDPFixture.load(fixture.certificate),
            policy: .directAccessServer(roots: [try CDPFixture.load("root.pem")], revocation: .strong),
            cache: CRLCache(), at: CDPFixture.validationTime)
        guard case .needCRLs(let urls) = validation.start(),
            case .finished(.invalid(let failure)) = validation.resume(with: CRLDownloader().fetch(urls))
        else {
            Issue.record("expected a download, then a failure")
            return
        }
        #expect(failure.error == .certERevoked)
        #expect(failure.error.code == 0x800B010C)
        #expect(failure.description == "0x800B010C CERT_E_REVOKED A certificate was explicitly revoked by its issuer.")
        #expect(failure.depth == 0)
    }
}
