import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPNIO
import AuthIPTestSupport
import AuthIPTrust
import AuthIPWire
import Foundation
import Testing

/// Runs a TLS exchange between two contexts, as the engine would relay GSS payloads.
struct TLSExchange {
    static let directory = TestVectors.directory.appendingPathComponent("pki/tls")
    static let time = ISO8601DateFormatter().date(from: "2026-11-01T00:00:00Z")!

    static func identity(_ name: String) throws -> TLSIdentity {
        try TLSIdentity(
            certificatePath: directory.appendingPathComponent("\(name).pem").path,
            keyPath: directory.appendingPathComponent("\(name).key").path)
    }

    static func root() throws -> Certificate {
        try Certificate.load(path: directory.appendingPathComponent("root.pem").path)[0]
    }

    /// The side that failed, with its failure, or both sides' results.
    enum Outcome {
        case completed(initiator: TLSContext, acceptor: TLSContext, rounds: Int)
        case initiatorFailed(GSSFailure)
        case acceptorFailed(GSSFailure)
    }

    static func run(
        client: [String], server: [String] = ["server-rsa"], serverRevocation: RevocationMode = .weak,
        serverCache: CRLCache = CRLCache(), clientPolicy: TrustPolicy? = nil,
        download: ([String]) -> [String: CRLDownload] = { CRLDownloader().fetch($0) }
    ) throws -> Outcome {
        let root = try root()
        let initiator = try TLSContext(
            role: .initiator,
            configuration: TLSConfiguration(
                identities: try client.map(identity), trust: clientPolicy ?? .directAccessClient(roots: [root])))
        let acceptor = try TLSContext(
            role: .acceptor,
            configuration: TLSConfiguration(
                identities: try server.map(identity),
                trust: .directAccessServer(roots: [root], revocation: serverRevocation),
                crlCache: serverCache))
        var random = SeededRandomSource(seed: 1)
        var toAcceptor: [UInt8] = []
        var rounds = 0
        do {
            toAcceptor = try initiator.step([], now: time, random: &random).token
        } catch { return .initiatorFailed(error) }
        while !(initiator.isComplete && acceptor.isComplete) {
            rounds += 1
            guard rounds < 10 else { throw CancellationError() }
            var toInitiator: [UInt8]
            do {
                var step = try acceptor.step(toAcceptor, now: time, random: &random)
                while case .needs(.crls(let urls)) = step {
                    step = try acceptor.resume(.crls(download(urls)), now: time)
                }
                toInitiator = step.token
            } catch { return .acceptorFailed(error) }
            if initiator.isComplete { break }
            do {
                toAcceptor = try initiator.step(toInitiator, now: time, random: &random).token
            } catch { return .initiatorFailed(error) }
        }
        return .completed(initiator: initiator, acceptor: acceptor, rounds: rounds)
    }
}

@Suite("TLS certificate authentication")
struct TLSContextTests {
    @Test(
        "Mutual authentication succeeds and both sides export the same 32-byte key",
        arguments: [
            (["client-rsa"], ["server-rsa"]), (["client-ecdsa"], ["server-ecdsa"]), (["client-rsa"], ["server-ecdsa"]),
        ])
    func mutual(client: [String], server: [String]) throws {
        guard
            case .completed(let initiator, let acceptor, let rounds) = try TLSExchange.run(
                client: client, server: server)
        else {
            Issue.record("the exchange failed")
            return
        }
        #expect(rounds == 2)
        let key = try #require(initiator.sessionKey)
        #expect(key.count == InteropProfile.tlsExporterLength)
        #expect(key == acceptor.sessionKey)
        #expect(initiator.peerName?.contains("DASERVER") == true)
        #expect(acceptor.peerName?.hasPrefix("CN=CLIENT") == true)
        #expect(acceptor.peerCertificates.count == 2)
    }

    @Test("Two exchanges export different keys")
    func freshKeys() throws {
        guard case .completed(let a, _, _) = try TLSExchange.run(client: ["client-rsa"]),
            case .completed(let b, _, _) = try TLSExchange.run(client: ["client-rsa"])
        else {
            Issue.record("an exchange failed")
            return
        }
        #expect(a.sessionKey != b.sessionKey)
    }

    @Test(
        "The server refuses revoked, expired and untrusted client certificates with Schannel's status",
        arguments: [
            ("client-revoked", WindowsError.cryptERevoked), ("client-expired", .secECertExpired),
        ])
    func refusedClients(name: String, status: WindowsError) throws {
        let cache = CRLCache()
        try cache.insert(
            Array(
                try #require(
                    FileManager.default.contents(atPath: TLSExchange.directory.appendingPathComponent("root.crl").path))
            ), source: "root.crl")
        let outcome = try TLSExchange.run(client: [name], serverCache: cache)
        guard case .acceptorFailed(let failure) = outcome else {
            Issue.record("expected the acceptor to refuse \(name)")
            return
        }
        #expect(failure.status == status, "\(failure)")
    }

    @Test("The client refuses a server certificate from an untrusted root")
    func untrustedServer() throws {
        guard
            case .initiatorFailed(let failure) = try TLSExchange.run(
                client: ["client-rsa"], server: ["client-untrusted"])
        else {
            Issue.record("expected the initiator to refuse the server's certificate")
            return
        }
        #expect(failure.status == .secEUntrustedRoot)
    }

    @Test("The client refuses a server certificate without server authentication usage")
    func wrongServerUsage() throws {
        let outcome = try TLSExchange.run(client: ["client-rsa"], server: ["client-ecdsa"])
        guard case .initiatorFailed(let failure) = outcome else {
            Issue.record("expected the initiator to refuse the server's certificate")
            return
        }
        #expect(failure.status == .secECertWrongUsage)
    }

    @Test("The client presents the certificate issued by a CA the server accepts")
    func selection() throws {
        guard case .completed(_, let acceptor, _) = try TLSExchange.run(client: ["client-untrusted", "client-ecdsa"])
        else {
            Issue.record("the exchange failed")
            return
        }
        #expect(acceptor.peerName?.contains("CLIENT2") == true)
        guard case .initiatorFailed(let failure) = try TLSExchange.run(client: ["client-untrusted"]) else {
            Issue.record("expected no usable certificate")
            return
        }
        #expect(failure.status == .secENoCredentials)
    }

    @Test("Strong mode downloads the client certificate's CDP through the handshake")
    func strongModeDownload() throws {
        try #require(LoopbackHTTPServer.distributionPoints != nil)
        let outcome = try TLSExchange.run(client: ["client-cdp"], serverRevocation: .strong)
        guard case .completed(_, let acceptor, _) = outcome else {
            Issue.record("the exchange failed: \(outcome)")
            return
        }
        #expect(acceptor.isComplete)
        #expect(LoopbackHTTPServer.distributionPoints?.requestedPaths.contains("/tls-root.crl") == true)
        // Without a reachable CDP, strong mode fails offline.
        let offline = { (urls: [String]) in
            Dictionary(uniqueKeysWithValues: urls.map { ($0, CRLDownload.failed("unreachable")) })
        }
        guard
            case .acceptorFailed(let failure) = try TLSExchange.run(
                client: ["client-cdp"], serverRevocation: .strong, download: offline)
        else {
            Issue.record("expected an offline failure")
            return
        }
        #expect(failure.status == .cryptERevocationOffline, "\(failure)")
    }

    @Test("Garbage tokens and misuse are typed failures")
    func garbage() throws {
        let root = try TLSExchange.root()
        let acceptor = try TLSContext(
            role: .acceptor,
            configuration: TLSConfiguration(
                identities: [try TLSExchange.identity("server-rsa")], trust: .directAccessServer(roots: [root])))
        var random = SeededRandomSource(seed: 2)
        #expect(throws: GSSFailure.self) {
            try acceptor.step(Array("GET / HTTP/1.1\r\n\r\n".utf8), now: TLSExchange.time, random: &random).token
        }
        #expect(throws: GSSFailure.self) {
            try acceptor.step([0x16, 0x03, 0x03], now: TLSExchange.time, random: &random).token
        }
        let empty = try TLSContext(
            role: .acceptor,
            configuration: TLSConfiguration(
                identities: [try TLSExchange.identity("server-rsa")], trust: .directAccessServer(roots: [root])))
        #expect(throws: GSSFailure(.secEInvalidToken, "the TLS client sends first")) {
            try empty.step([], now: TLSExchange.time, random: &random).token
        }
        #expect(throws: GSSFailure.self) {
            try TLSIdentity(
                certificate: try TLSExchange.root(),
                privateKeyPEM: Array(
                    try Data(contentsOf: TLSExchange.directory.appendingPathComponent("client-rsa.key"))))
        }
    }

    @Test("Anonymous exchanges one empty token each way and has no key")
    func anonymous() throws {
        var initiator = AnonymousContext(role: .initiator), acceptor = AnonymousContext(role: .acceptor)
        var random = SeededRandomSource(seed: 3)
        #expect(
            try acceptor.step(
                try initiator.step([], now: TLSExchange.time, random: &random).token, now: TLSExchange.time,
                random: &random
            ).token.isEmpty)
        #expect(initiator.isComplete && acceptor.isComplete)
        #expect(initiator.sessionKey == nil && acceptor.peerName == nil)
        #expect(throws: GSSFailure.self) { try acceptor.step([], now: TLSExchange.time, random: &random).token }
        var other = AnonymousContext(role: .acceptor)
        #expect(throws: GSSFailure.self) { try other.step([1], now: TLSExchange.time, random: &random).token }
    }
}
