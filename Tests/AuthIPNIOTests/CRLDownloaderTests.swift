import AuthIPCrypto
import AuthIPDirectory
import AuthIPNIO
import AuthIPTestSupport
import AuthIPTrust
import Foundation
import Testing

@Suite("CRL downloader", .serialized)
struct CRLDownloaderTests {
    static let served = TestVectors.directory.appendingPathComponent("pki/cdp/served")
    static let clean = Array(
        FileManager.default.contents(atPath: served.appendingPathComponent("clean.crl").path) ?? Data())
    static let base = "http://127.0.0.1:18931"

    init() throws {
        try #require(LoopbackHTTPServer.distributionPoints != nil, "127.0.0.1:18931 is taken")
        try #require(!Self.clean.isEmpty)
    }

    @Test("HTTP 200 gives the bytes; 404, a closed port, a name that does not resolve give typed failures")
    func http() {
        let downloader = CRLDownloader(timeout: .seconds(5))
        #expect(downloader.fetch("\(Self.base)/clean.crl") == .downloaded(Self.clean))
        #expect(downloader.fetch("\(Self.base)/nothing.crl") == .failed("HTTP 404"))
        guard case .failed = downloader.fetch("http://127.0.0.1:18932/x.crl") else {
            Issue.record("a closed port answered")
            return
        }
        guard case .failed(let reason) = downloader.fetch("http://cdp.authip.invalid/x.crl") else {
            Issue.record("a name that does not exist answered")
            return
        }
        #expect(reason.contains("resolve") || reason == "timed out", "\(reason)")
    }

    @Test("Chunked bodies and bodies ended by the close are read whole; a short body is not taken")
    func framing() {
        let downloader = CRLDownloader(timeout: .seconds(5))
        #expect(downloader.fetch("\(Self.base)/chunked/clean.crl") == .downloaded(Self.clean))
        #expect(downloader.fetch("\(Self.base)/close-delimited/clean.crl") == .downloaded(Self.clean))
        guard case .failed = downloader.fetch("\(Self.base)/truncated/clean.crl") else {
            Issue.record("a body shorter than its Content-Length was taken")
            return
        }
    }

    @Test("Redirects are followed to http:// URLs, a bounded number of times, and never to file://")
    func redirects() {
        let downloader = CRLDownloader(timeout: .seconds(5), maximumRedirects: 4)
        #expect(downloader.fetch("\(Self.base)/redirect/3/clean.crl") == .downloaded(Self.clean))
        #expect(downloader.fetch("\(Self.base)/redirect-absolute/clean.crl") == .downloaded(Self.clean))
        #expect(downloader.fetch("\(Self.base)/redirect/4/clean.crl") == .failed("too many redirects"))
        #expect(
            downloader.fetch("\(Self.base)/redirect-file/etc/passwd") == .failed("redirected to an unsupported URL"))
    }

    @Test("The size limit applies to every framing; file://, https:// and unknown schemes are never opened")
    func limits() {
        let tiny = CRLDownloader(timeout: .seconds(5), maximumSize: 16)
        #expect(tiny.fetch("\(Self.base)/clean.crl") == .failed("larger than 16 bytes"))
        #expect(tiny.fetch("\(Self.base)/chunked/clean.crl") == .failed("larger than 16 bytes"))
        #expect(tiny.fetch("\(Self.base)/close-delimited/clean.crl") == .failed("larger than 16 bytes"))
        let downloader = CRLDownloader()
        let path = Self.served.appendingPathComponent("clean.crl").path
        for url in [
            "file://" + path, "FILE://" + path,
            "\(Self.base.replacingOccurrences(of: "http", with: "https"))/clean.crl", "ftp://127.0.0.1/x.crl",
        ] {
            #expect(downloader.fetch(url) == .failed("unsupported URL"), "\(url)")
        }
    }

    @Test("A server that accepts and never answers is abandoned at the deadline")
    func timeout() throws {
        let listener = try SilentListener()
        let start = ContinuousClock.now
        let result = CRLDownloader(timeout: .milliseconds(300)).fetch("http://127.0.0.1:\(listener.port)/slow.crl")
        #expect(result == .failed("timed out"))
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test("An ldap:// URL naming another host is read anonymously: the directory's credentials never reach it")
    func ldapForeignHostGetsNoCredentials() throws {
        let listener = try SilentListener()
        let password = "Svc-Authip-Pw-12345!"
        let directory = LDAPDirectoryConfiguration(
            uri: "ldaps://dc1.da.test", security: .ldaps, caFile: "/dev/null", bindDN: "svc-authip@da.test",
            password: SecretBytes(Array(password.utf8)), baseDN: "DC=da,DC=test", domain: "DA")
        let downloader = CRLDownloader(timeout: .milliseconds(500), directory: directory)
        let url = "ldap://127.0.0.1:\(listener.port)/CN=CA,CN=CDP,DC=da,DC=test?certificateRevocationList?base"
        guard case .failed = downloader.fetch(url) else {
            Issue.record("a silent server gave a CRL")
            return
        }
        let received = listener.received()
        #expect(!received.isEmpty, "the anonymous search never reached the host")
        #expect(received.firstRange(of: Array(password.utf8)) == nil, "the password went to the certificate's host")
        #expect(received.firstRange(of: Array("svc-authip".utf8)) == nil, "the bind DN went to the certificate's host")
    }

    @Test("LDAP URLs: host-less without a directory, other attributes and malformed URLs are refused")
    func ldapRefusals() {
        let downloader = CRLDownloader(timeout: .seconds(1))
        #expect(
            downloader.fetch("ldap:///CN=CA,CN=CDP,DC=da,DC=test?certificateRevocationList?base")
                == .failed("no directory is configured for host-less ldap:/// URLs"))
        #expect(
            downloader.fetch("ldap://127.0.0.1/CN=admin,DC=da,DC=test?userPassword?base")
                == .failed("unsupported LDAP attribute userPassword"))
        #expect(downloader.fetch("ldap://127.0.0.1:99999999/CN=x") == .failed("malformed LDAP URL"))
    }
}

/// A loopback TCP listener that accepts one connection, keeps what it is sent and never answers.
final class SilentListener: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    init() throws {
        let (descriptor, port) = try LoopbackListener.bind()
        listener = descriptor
        self.port = port
        Thread { [self] in
            let client = accept(descriptor, nil, nil)
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { break }
                lock.withLock { bytes += buffer[0..<n] }
            }
            close(client)
        }.start()
    }

    deinit { close(listener) }

    /// What the connection carried so far.
    func received() -> [UInt8] { lock.withLock { bytes } }
}
