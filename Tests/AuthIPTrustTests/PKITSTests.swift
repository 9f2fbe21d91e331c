import AuthIPJSON
import AuthIPTestSupport
import AuthIPTrust
import Foundation
import Testing

/// The NIST PKITS cases of TestVectors/pki/pkits (the dev subset), in weak and strong mode.
struct PKITSCase: CustomTestStringConvertible, Sendable {
    let id: String
    let name: String
    let anchor: String
    let untrusted: [String]
    let ee: String
    let crls: [String]
    let expectedWeak: Bool
    let expectedStrong: Bool

    var testDescription: String { "\(id) \(name)" }

    static let directory = TestVectors.directory.appendingPathComponent("pki/pkits")

    static let validationTime = ISO8601DateFormatter().date(from: "2011-04-15T00:00:00Z")!

    static func all() -> [PKITSCase] {
        guard
            let text = try? String(
                contentsOf: directory.appendingPathComponent("pkits-dev-cases.json"), encoding: .utf8),
            let json = try? JSONValue(parsing: text)
        else { return [] }
        return (json["cases"]?.arrayValue ?? []).map { c in
            PKITSCase(
                id: c["id"]?.stringValue ?? "", name: c["name"]?.stringValue ?? "",
                anchor: c["trust_anchor"]?.stringValue ?? "",
                untrusted: (c["untrusted"]?.arrayValue ?? []).compactMap(\.stringValue),
                ee: c["ee"]?.stringValue ?? "", crls: (c["crls"]?.arrayValue ?? []).compactMap(\.stringValue),
                expectedWeak: c["expected_weak"]?.stringValue == "VALID",
                expectedStrong: c["expected_strong"]?.stringValue == "VALID")
        }
    }

    func certificate(_ name: String) throws -> Certificate {
        try #require(try Certificate.load(path: Self.directory.appendingPathComponent("certs/\(name).crt").path).first)
    }

    /// Validates with the case's CRLs in the cache; strong mode's downloads all fail (the
    /// PKITS distribution points are not reachable here).
    func validate(_ mode: RevocationMode) throws -> TrustVerdict {
        let cache = CRLCache()
        for crl in crls {
            let data = try #require(
                FileManager.default.contents(atPath: Self.directory.appendingPathComponent("crls/\(crl).crl").path))
            try cache.insert(Array(data), source: "file:\(crl).crl")
        }
        var validation = CertificateValidation(
            leaf: try certificate(ee), intermediates: try untrusted.map(certificate),
            policy: TrustPolicy(trustedRoots: [try certificate(anchor)], revocation: mode, policies: []),
            cache: cache, at: Self.validationTime)
        var step = validation.start()
        while case .needCRLs(let urls) = step {
            step = validation.resume(
                with: Dictionary(uniqueKeysWithValues: urls.map { ($0, CRLDownload.failed("offline")) }))
        }
        guard case .finished(let verdict) = step else { throw CancellationError() }
        return verdict
    }
}

@Suite("NIST PKITS")
struct PKITSTests {
    @Test("The dev subset is all there")
    func casesLoaded() {
        #expect(PKITSCase.all().count == 36)
    }

    @Test("Weak mode", arguments: PKITSCase.all())
    func weak(_ c: PKITSCase) throws {
        let verdict = try c.validate(.weak)
        #expect(verdict.isValid == c.expectedWeak, "\(verdict) \(String(describing: verdict))")
    }

    @Test("Strong mode", arguments: PKITSCase.all())
    func strong(_ c: PKITSCase) throws {
        let verdict = try c.validate(.strong)
        #expect(verdict.isValid == c.expectedStrong, "\(verdict)")
    }
}
