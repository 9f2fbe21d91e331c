import AuthIP
import AuthIPGSS
import AuthIPTestSupport
import AuthIPTrust
import AuthIPWire
import Foundation
import Testing

@testable import AuthIPNIO

/// The endpoint adds CRL downloads to its caches in memory; the driver writes the caches that
/// keep a directory, off its event loop, and reports one it cannot write.
@Suite("EndpointDriver writes CRL caches")
struct CRLCachePersistenceTests {
    static func crl() throws -> [UInt8] {
        Array(
            try #require(
                FileManager.default.contents(
                    atPath: TestVectors.directory.appendingPathComponent("pki/tls/root.crl").path)))
    }

    static func rule(_ name: String, cache: CRLCache) -> ConnectionSecurityRule {
        ConnectionSecurityRule(
            name: name, local: TrafficSelector(.allIPv6), remote: TrafficSelector(.allIPv6),
            mainModeAuthentication: AuthenticationSet([
                .certificate(TLSConfiguration(identities: [], trust: .directAccessServer(roots: []), crlCache: cache))
            ]))
    }

    @Test(
        "Each cache once; directory caches' downloads written by saveCRLCaches; an unwritable cache reported and kept in memory"
    )
    func persistence() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-driver-crl-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let stored = try CRLCache(directory: directory)
        let memory = CRLCache()
        let configuration = EndpointConfiguration(
            computerName: "DASERVER", principalName: "host/daserver",
            rules: [Self.rule("a", cache: stored), Self.rule("b", cache: stored), Self.rule("c", cache: memory)])
        let plane = RecordingDataPlane()
        let driver = EndpointDriver(configuration: configuration, localAddresses: [IPAddress("::1")!], delegate: plane)
        // Each cache once, in rule order: the directory's (saved after downloads), then the memory one.
        let caches = try await driver.crlCaches().get()
        #expect(caches.count == 2 && caches.first === stored && caches.last === memory)

        let files = { (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] }
        try stored.insert(try Self.crl(), source: "http://a/root.crl", persistent: false)
        #expect(files().isEmpty)
        driver.saveCRLCaches()
        #expect(try await eventually(within: 10) { files().contains("index.json") && !stored.hasUnsavedChanges })
        #expect(plane.snapshot.cacheFailures.isEmpty)

        // The directory is gone: the write fails, the delegate hears of it, the lists stay.
        try FileManager.default.removeItem(at: directory)
        try stored.insert(try Self.crl(), source: "http://b/root.crl", persistent: false)
        driver.saveCRLCaches()
        #expect(try await eventually(within: 10) { !plane.snapshot.cacheFailures.isEmpty })
        guard case .crlCacheNotSaved(let path, _)? = plane.snapshot.cacheFailures.first else {
            Issue.record("no crlCacheNotSaved: \(plane.snapshot.cacheFailures)")
            return
        }
        #expect(path == directory.path)
        #expect(stored.hasUnsavedChanges)
        #expect(stored.all.map(\.source).contains("http://b/root.crl"))
    }
}
