import AuthIPTestSupport
import Foundation
import Testing

@Suite("authip cert verify and authip crl")
struct CertificateCommandTests {
    static let pkits = TestVectors.directory.appendingPathComponent("pki/pkits").path
    static let fixtures = TestVectors.directory.appendingPathComponent("pki/cdp").path

    static func pkitsArguments(_ leaf: String, mode: String = "weak") -> [String] {
        [
            "cert", "verify", "--mode", mode, "--trust", "\(pkits)/certs/TrustAnchorRootCertificate.crt",
            "--untrusted", "\(pkits)/certs/GoodCACert.crt", "--crl", "\(pkits)/crls/GoodCACRL.crl",
            "--crl", "\(pkits)/crls/TrustAnchorRootCRL.crl", "--at", "2011-04-15T00:00:00Z",
            "\(pkits)/certs/\(leaf).crt",
        ]
    }

    @Test("A valid path prints VALID and exits 0")
    func valid() throws {
        let run = try AuthIPRun(Self.pkitsArguments("ValidCertificatePathTest1EE"))
        #expect(run.status == 0)
        #expect(run.stdout == "VALID\n")
    }

    @Test("A revoked certificate prints the HRESULT, name and Windows text and exits 1")
    func revoked() throws {
        let run = try AuthIPRun(Self.pkitsArguments("InvalidRevokedEETest3EE"))
        #expect(run.status == 1)
        #expect(run.stdout == "INVALID 0x800B010C CERT_E_REVOKED A certificate was explicitly revoked by its issuer.\n")
    }

    @Test("Strong mode without --fetch cannot reach a distribution point")
    func strongWithoutFetch() throws {
        let run = try AuthIPRun([
            "cert", "verify", "--mode", "strong", "--trust", "\(Self.fixtures)/root.pem",
            "--at", "2026-11-01T00:00:00Z", "\(Self.fixtures)/clean-cdp.pem",
        ])
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("INVALID 0x80092013 CRYPT_E_REVOCATION_OFFLINE"))
        #expect(run.stderr.contains("downloads not allowed without --fetch"))
    }

    static let attacks = TestVectors.directory.appendingPathComponent("pki/attacks").path

    @Test(
        "Base and delta CRLs, genuine or forged, in both modes: a forged delta never decides",
        arguments: ["weak", "strong"],
        [
            ("good", "delta-genuine", "VALID"), ("revoked", "delta-genuine", "CERT_E_REVOKED"),
            ("on-hold", "delta-genuine", "VALID"), ("later", "delta-genuine", "CERT_E_REVOKED"),
            ("revoked", "delta-forged-unrevoke", "CRYPT_E_NO_REVOCATION_CHECK"),
            ("good", "delta-forged-revoke", "CRYPT_E_NO_REVOCATION_CHECK"),
        ])
    func deltas(mode: String, _ c: (certificate: String, delta: String, expected: String)) throws {
        let run = try AuthIPRun([
            "cert", "verify", "--mode", mode, "--trust", "\(Self.attacks)/root.pem",
            "--crl", "\(Self.attacks)/base.crl", "--crl", "\(Self.attacks)/\(c.delta).crl",
            "--at", "2026-11-01T00:00:00Z", "\(Self.attacks)/\(c.certificate).pem",
        ])
        if c.expected == "VALID" {
            #expect(run.status == 0 && run.stdout == "VALID\n", "\(run.stdout)")
        } else {
            #expect(
                run.status == 1 && run.stdout.split(separator: " ").dropFirst(2).first.map(String.init) == c.expected,
                "\(run.stdout)")
        }
    }

    @Test("Strong mode with --fetch downloads nothing for a certificate the root did not sign")
    func strongFetchForgedCertificate() throws {
        let run = try AuthIPRun([
            "cert", "verify", "--mode", "strong", "--fetch", "--trust", "\(Self.attacks)/root.pem",
            "--at", "2026-11-01T00:00:00Z", "\(Self.attacks)/self-made.pem",
        ])
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("INVALID 0x80096004 TRUST_E_CERT_SIGNATURE"), "\(run.stdout)")
        #expect(!run.stderr.contains("probe-from-unverified-certificate"))
    }

    @Test("--repeat prints the mean time per validation on stderr")
    func repeatTiming() throws {
        let run = try AuthIPRun(Self.pkitsArguments("ValidCertificatePathTest1EE") + ["--repeat", "20"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("us per validation (20 validations)"))
    }

    @Test("Usage errors exit 2")
    func usage() throws {
        #expect(try AuthIPRun(["cert", "verify", "--mode", "sometimes", "--trust", "x", "y"]).status == 2)
        #expect(try AuthIPRun(["cert", "verify", "leaf.pem"]).status == 2)
        #expect(
            try AuthIPRun(["cert", "verify", "--trust", "\(Self.fixtures)/root.pem", "--at", "yesterday", "x"]).status
                == 2)
        #expect(
            try AuthIPRun(["cert", "verify", "--trust", "/nonexistent.pem", "\(Self.fixtures)/root.pem"]).status == 2)
    }

    @Test("crl import, list and purge work on a cache directory")
    func cacheCommands() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authip-cli-cache-\(getpid())")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let imported = try AuthIPRun([
            "crl", "import", "--crl-cache", directory, "\(Self.fixtures)/served/clean.crl",
            "\(Self.fixtures)/served/expired.crl",
        ])
        #expect(imported.status == 0)
        let list = try AuthIPRun(["crl", "list", "--crl-cache", directory])
        #expect(list.stdout.split(separator: "\n").count == 2)
        #expect(list.stdout.contains("nextUpdate 2026-06-01T00:00:00Z"))
        #expect(
            try AuthIPRun(["crl", "purge", "--crl-cache", directory, "--at", "2026-11-01T00:00:00Z"]).stdout
                == "purged 1 expired CRLs\n")
        #expect(try AuthIPRun(["crl", "list", "--crl-cache", directory]).stdout.split(separator: "\n").count == 1)
        #expect(
            try AuthIPRun(["crl", "import", "--crl-cache", directory, "\(Self.fixtures)/served/garbage.crl"]).status
                == 1)
    }
}
