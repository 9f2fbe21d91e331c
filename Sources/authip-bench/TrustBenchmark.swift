import AuthIPTrust
import COpenSSL
import Foundation

/// Certificate validation figures: a DirectAccess server validating a client's RSA-2048
/// computer certificate in weak mode with an empty, a 1,000-entry and a 1,000,000-entry CRL
/// cached (none of which revokes it), and the cost of loading the large CRL.
enum TrustBenchmark {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("TestVectors/pki/cdp")

    static func run() throws {
        let root = try Certificate.load(path: fixtures.appendingPathComponent("root.pem").path)[0]
        let leaf = try Certificate.load(path: fixtures.appendingPathComponent("clean-cdp.pem").path)[0]
        let time = ISO8601DateFormatter().date(from: "2026-11-01T00:00:00Z")!
        for entries in [0, 1_000, 1_000_000] {
            let build = ContinuousClock.now
            let der = try signedCRL(entries: entries)
            let built = ContinuousClock.now - build
            let load = ContinuousClock.now
            let cache = CRLCache()
            try cache.insert(der, source: "bench")
            let loaded = ContinuousClock.now - load
            if entries == 1_000_000 {
                AuthIPBenchmark.report("trust.crl_1m.bytes", Double(der.count), "bytes")
                AuthIPBenchmark.report("trust.crl_1m.build_ms", Double(Int(AuthIPBenchmark.seconds(built) * 1e4)) / 10, "ms")
                AuthIPBenchmark.report("trust.crl_1m.load_ms", Double(Int(AuthIPBenchmark.seconds(loaded) * 1e4)) / 10, "ms")
            }
            let policy = TrustPolicy.directAccessServer(roots: [root], revocation: .weak)
            var first = CertificateValidation(leaf: leaf, policy: policy, cache: cache, at: time)
            guard case .finished(.valid) = first.start() else { fatalError("the benchmark chain does not validate") }
            let rate = AuthIPBenchmark.rate {
                var validation = CertificateValidation(leaf: leaf, policy: policy, cache: cache, at: time)
                _ = validation.start()
            }
            let name = entries == 0 ? "empty" : entries == 1_000 ? "crl_1k" : "crl_1m"
            AuthIPBenchmark.report("trust.validation_\(name)_us", Double(Int(1e7 / rate)) / 10, "us")
        }
    }

    /// A CRL from the fixture root with `entries` revoked serials (none of them the leaf's).
    static func signedCRL(entries: Int) throws -> [UInt8] {
        let keyPEM = Array(try Data(contentsOf: fixtures.appendingPathComponent("root.key")))
        let key: OpaquePointer = keyPEM.withUnsafeBytes { raw in
            let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }!
        defer { EVP_PKEY_free(key) }
        let rootPEM = Array(try Data(contentsOf: fixtures.appendingPathComponent("root.pem")))
        let root: OpaquePointer = rootPEM.withUnsafeBytes { raw in
            let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }!
        defer { X509_free(root) }
        let crl = X509_CRL_new()!
        defer { X509_CRL_free(crl) }
        X509_CRL_set_version(crl, 1)
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(root))
        let thisUpdate = ASN1_TIME_set(nil, 1_790_000_000)  // 2026-09
        let nextUpdate = ASN1_TIME_set(nil, 1_800_000_000)  // 2027-01
        let revoked = ASN1_TIME_set(nil, 1_780_000_000)
        defer { ASN1_TIME_free(thisUpdate); ASN1_TIME_free(nextUpdate); ASN1_TIME_free(revoked) }
        X509_CRL_set1_lastUpdate(crl, thisUpdate)
        X509_CRL_set1_nextUpdate(crl, nextUpdate)
        let serial = ASN1_INTEGER_new()
        defer { ASN1_INTEGER_free(serial) }
        for index in 0..<entries {
            let entry = X509_REVOKED_new()
            ASN1_INTEGER_set_int64(serial, Int64(0x1_0000_0000) + Int64(index) * 7919)
            X509_REVOKED_set_serialNumber(entry, serial)
            X509_REVOKED_set_revocationDate(entry, revoked)
            X509_CRL_add0_revoked(crl, entry)
        }
        X509_CRL_sort(crl)
        guard X509_CRL_sign(crl, key, EVP_sha256()) > 0 else { fatalError("cannot sign the benchmark CRL") }
        var buffer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_CRL(crl, &buffer)
        defer { CRYPTO_free(buffer, #file, #line) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
    }
}
