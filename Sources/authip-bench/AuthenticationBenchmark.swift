import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPTrust
import Foundation

/// Whole authentication exchanges, both sides in this process: mutual TLS with RSA-2048
/// computer certificates (the server checking weakly against a cached CRL), and NTLMv2 against
/// the JSON account directory.
enum AuthenticationBenchmark {
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("TestVectors")

    static func run() throws {
        let tls = vectors.appendingPathComponent("pki/tls")
        let root = try Certificate.load(path: tls.appendingPathComponent("root.pem").path)[0]
        // The repository's fixture keys are no secret (a clone gives them mode 0644), so they
        // are read as plain files rather than through `SecretFile`.
        func identity(_ name: String) throws -> TLSIdentity {
            try TLSIdentity(
                certificate: try Certificate.load(path: tls.appendingPathComponent("\(name).pem").path)[0],
                privateKey: SecretBytes(try Data(contentsOf: tls.appendingPathComponent("\(name).key"))))
        }
        let cache = CRLCache()
        try cache.insert(Array(try Data(contentsOf: tls.appendingPathComponent("root.crl"))), source: "root.crl")
        let client = TLSConfiguration(
            identities: [try identity("client-rsa")], trust: .directAccessClient(roots: [root]))
        let server = TLSConfiguration(
            identities: [try identity("server-rsa")],
            trust: .directAccessServer(roots: [root], revocation: .weak), crlCache: cache)
        let now = ISO8601DateFormatter().date(from: "2026-11-01T00:00:00Z")!
        var random = SeededRandomSource(seed: 9)
        let tlsRate = AuthIPBenchmark.rate {
            guard let initiator = try? TLSContext(role: .initiator, configuration: client),
                let acceptor = try? TLSContext(role: .acceptor, configuration: server),
                let hello = try? initiator.step([], now: now, random: &random).token,
                let flight1 = try? acceptor.step(hello, now: now, random: &random).token,
                let flight2 = try? initiator.step(flight1, now: now, random: &random).token,
                let finished = try? acceptor.step(flight2, now: now, random: &random).token,
                (try? initiator.step(finished, now: now, random: &random).token) != nil,
                initiator.isComplete, acceptor.isComplete
            else { fatalError("the TLS benchmark exchange failed") }
        }
        AuthIPBenchmark.report("gss.tls_rsa2048_mutual.exchanges_per_s", tlsRate, "exchanges/s")

        let directory = try JSONAccountDirectory(contentsOf: vectors.appendingPathComponent("directory/accounts.json"))
        let credentials = NTLMCredentials(
            user: "alice", domain: "CORP", password: "Alice-Passw0rd!", workstation: "CLIENT1")
        let configuration = NTLMAcceptorConfiguration(
            netbiosDomainName: "CORP", netbiosComputerName: "DASERVER",
            dnsDomainName: "corp.contoso.com", dnsComputerName: "daserver.corp.contoso.com")
        var ntlmRandom = SeededRandomSource(seed: 10)
        let ntlmRate = AuthIPBenchmark.rate {
            var initiator = NTLMInitiatorContext(credentials: credentials)
            var acceptor = NTLMAcceptorContext(configuration: configuration, directory: directory)
            guard let negotiate = try? initiator.step([], now: now, random: &ntlmRandom).token,
                let challenge = try? acceptor.step(negotiate, now: now, random: &ntlmRandom).token,
                let authenticate = try? initiator.step(challenge, now: now, random: &ntlmRandom).token,
                (try? acceptor.step(authenticate, now: now, random: &ntlmRandom).token) != nil,
                acceptor.isComplete
            else { fatalError("the NTLM benchmark exchange failed") }
        }
        AuthIPBenchmark.report("gss.ntlmv2.exchanges_per_s", ntlmRate, "exchanges/s")
    }
}
