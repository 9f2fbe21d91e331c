import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPScenarios
import AuthIPTestSupport
import AuthIPTrust
import Foundation
import Testing

/// Secrets at rest: files that others could read are refused with the file and its mode; what
/// is read is wiped; a password logon leaves no credentials cache behind.
@Suite("Secret files and logon caches", .serialized)
struct SecretFileTests {
    /// A temporary copy of `source` with `mode`.
    static func copy(_ source: URL, mode: mode_t) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-secret-\(getpid())-\(UUID().uuidString)"
        ).path
        try FileManager.default.copyItem(atPath: source.path, toPath: path)
        chmod(path, mode)
        return path
    }

    static let pki = TestVectors.directory.appendingPathComponent("pki/tls")

    @Test(
        "A key file that group or others may read is refused, naming the file and its mode; owner-only is read",
        arguments: [0o644, 0o640, 0o604, 0o660] as [mode_t])
    func keyModes(_ mode: mode_t) throws {
        let key = try Self.copy(Self.pki.appendingPathComponent("client-rsa.key"), mode: mode)
        defer { unlink(key) }
        let certificate = Self.pki.appendingPathComponent("client-rsa.pem").path
        #expect(throws: SecretFileError.accessibleToOthers(path: key, mode: mode)) {
            try TLSIdentity(certificatePath: certificate, keyPath: key)
        }
        #expect(
            SecretFileError.accessibleToOthers(path: key, mode: mode).description.contains(
                "mode 0\(String(mode, radix: 8))"))
        chmod(key, 0o600)
        #expect(
            try TLSIdentity(certificatePath: certificate, keyPath: key).certificate.commonName
                == "CLIENT1.corp.contoso.com")
    }

    @Test("The account directory holds passwords: mode 0644 is refused")
    func directoryMode() throws {
        let file = try Self.copy(TestVectors.directory.appendingPathComponent("directory/accounts.json"), mode: 0o644)
        defer { unlink(file) }
        do {
            _ = try JSONAccountDirectory(contentsOf: URL(fileURLWithPath: file))
            Issue.record("a world-readable directory was read")
        } catch {
            #expect("\(error)".contains(file) && "\(error)".contains("mode 0644"), "\(error)")
        }
        chmod(file, 0o600)
        #expect(try JSONAccountDirectory(contentsOf: URL(fileURLWithPath: file)).accounts.count > 0)
    }

    @Test("A secret file read is wiped when released")
    func wipedAfterLoading() throws {
        final class Sizes: @unchecked Sendable {
            let lock = NSLock()
            var wiped: [Int] = []
        }
        let sizes = Sizes()
        SecretBytes.wipeObserver = { buffer in
            guard !buffer.contains(where: { $0 != 0 }) else { return }
            sizes.lock.lock()
            sizes.wiped.append(buffer.count)
            sizes.lock.unlock()
        }
        defer { SecretBytes.wipeObserver = nil }
        let key = Self.pki.appendingPathComponent("client-rsa.key").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: key)[.size] as? Int)
        _ = try TLSIdentity(certificatePath: Self.pki.appendingPathComponent("client-rsa.pem").path, keyPath: key)
        sizes.lock.lock()
        defer { sizes.lock.unlock() }
        #expect(sizes.wiped.contains(size), "the key's PEM went through a wiped buffer")
    }

    @Test("A file owned by another user is refused, as is one that is not there")
    func ownerAndMissing() throws {
        #expect(throws: SecretFileError.self) { try SecretFile.read("/nonexistent/authip.key") }
        guard geteuid() == 0 else { return }
        let file = try Self.copy(Self.pki.appendingPathComponent("client-rsa.key"), mode: 0o600)
        defer { unlink(file) }
        chown(file, 65_534, 65_534)
        #expect(throws: SecretFileError.foreignOwner(path: file, owner: 65_534)) { try SecretFile.read(file) }
    }

    @Test("Each password logon's MEMORY cache is destroyed with its context")
    func logonCachesDestroyed() throws {
        _ = try KerberosRealm.shared.get()
        var names: [String] = []
        for _ in 0..<3 {
            let context = try KerberosContext(
                initiator: .password(principal: "alice@DA.TEST", password: "Alice-Pw-1"),
                target: KerberosRealm.service)
            let name = try #require(context.logonCacheName)
            #expect(PasswordLogon.holdsTickets(name), "the cache serves the context while it lives")
            names.append(name)
        }
        #expect(names.allSatisfy { !PasswordLogon.holdsTickets($0) })
    }
}
