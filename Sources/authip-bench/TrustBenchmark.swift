import AuthIPTrust
import Foundation

/// Certificate validation figures: a DirectAccess server validating a client's RSA-2048
/// computer certificate in weak mode with an empty, a 1,000-entry and a 1,000,000-entry CRL
/// cached (none of which revokes it), and the cost of loading the large CRL.
enum TrustBenchmark {
    static func run() throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let authority = try CertificateAuthority(
            commonName: "Bench Root", organization: "swift-authip bench",
            notBefore: now.addingTimeInterval(-86_400), notAfter: now.addingTimeInterval(400 * 86_400))
        let leaf = try authority.issue(
            commonName: "CLIENT1.corp.contoso.com", usage: .clientAuthentication, serial: 7,
            notBefore: now.addingTimeInterval(-3_600), notAfter: now.addingTimeInterval(300 * 86_400)
        ).certificate
        let policy = TrustPolicy.directAccessServer(roots: [authority.certificate], revocation: .weak)
        for (name, entries) in [("empty", 0), ("cached_1k", 1_000), ("cached_1m", 1_000_000)] {
            let der = try authority.revocationList(
                revoking: Array(stride(from: 1_000_000, to: 1_000_000 + entries * 3, by: 3)),
                thisUpdate: now.addingTimeInterval(-3_600), nextUpdate: now.addingTimeInterval(7 * 86_400))
            let load = ContinuousClock.now
            let cache = CRLCache()
            try cache.insert(der, source: "bench")
            let loaded = ContinuousClock.now - load
            if entries == 1_000_000 {
                AuthIPBenchmark.report("crl.bytes_1m", Double(der.count), "bytes")
                AuthIPBenchmark.report("crl.load_1m_s", Double(Int(AuthIPBenchmark.seconds(loaded) * 1000)) / 1000, "s")
            }
            var first = CertificateValidation(leaf: leaf, policy: policy, cache: cache, at: now)
            guard case .finished(.valid) = first.start() else { fatalError("the benchmark chain does not validate") }
            let rate = AuthIPBenchmark.rate {
                var validation = CertificateValidation(leaf: leaf, policy: policy, cache: cache, at: now)
                _ = validation.start()
            }
            AuthIPBenchmark.report("crl.validate_\(name)_us", Double(Int(1e7 / rate)) / 10, "µs")
        }
    }
}
