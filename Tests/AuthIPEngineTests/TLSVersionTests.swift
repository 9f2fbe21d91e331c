import AuthIP
import AuthIPCrypto
import AuthIPGSS
import AuthIPTestSupport
import AuthIPTrust
import AuthIPWire
import Testing

/// The TLS version range of certificate authentication, a rule setting: TLS 1.2 only unless
/// the rule allows 1.0 or 1.1 (Windows 7 and 2008 R2 have 1.1 and 1.2 off by default).
@Suite("TLS versions")
struct TLSVersionTests {
    static func client(_ versions: ClosedRange<TLSVersion>) throws -> TLSConfiguration {
        TLSConfiguration(
            identities: [try EngineFixture.identity("client-rsa")],
            trust: .directAccessClient(roots: [try EngineFixture.root()]), versions: versions)
    }

    static func server(_ versions: ClosedRange<TLSVersion>) throws -> TLSConfiguration {
        TLSConfiguration(
            identities: [try EngineFixture.identity("server-rsa")],
            trust: .directAccessServer(roots: [try EngineFixture.root()], revocation: .weak),
            crlCache: try EngineFixture.cachedCRL(), versions: versions)
    }

    /// Runs a handshake to its end or its first failure; the two contexts.
    static func handshake(
        client: TLSConfiguration, server: TLSConfiguration
    ) throws -> (TLSContext, TLSContext, GSSFailure?) {
        let initiator = try TLSContext(role: .initiator, configuration: client)
        let acceptor = try TLSContext(role: .acceptor, configuration: server)
        var random = SeededRandomSource(seed: 5)
        var token: [UInt8] = []
        let sides = [initiator, acceptor]
        for round in 0..<6 {
            let side = sides[round % 2]
            guard !(side.isComplete && token.isEmpty) else { break }
            do {
                token = try side.step(token, now: EngineFixture.start, random: &random).token
            } catch {
                return (initiator, acceptor, error)
            }
        }
        return (initiator, acceptor, nil)
    }

    @Test("A rule that allows TLS 1.0 serves a TLS 1.0-only client, with a GSS-APIsecret")
    func tls10Allowed() throws {
        let (initiator, acceptor, failure) = try Self.handshake(
            client: try Self.client(.tls10 ... .tls10), server: try Self.server(.tls10 ... .tls12))
        #expect(failure == nil, "\(String(describing: failure))")
        #expect(initiator.negotiatedVersion == .tls10 && acceptor.negotiatedVersion == .tls10)
        #expect(initiator.sessionKey != nil && initiator.sessionKey == acceptor.sessionKey)
    }

    @Test("By default only TLS 1.2: a TLS 1.0-only client is refused")
    func tls12Only() throws {
        let (_, acceptor, failure) = try Self.handshake(
            client: try Self.client(.tls10 ... .tls10), server: try Self.server(.tls12 ... .tls12))
        #expect(failure != nil)
        #expect(acceptor.negotiatedVersion == nil)
        let (defaultInitiator, _, none) = try Self.handshake(
            client: try Self.client(.tls12 ... .tls12), server: try Self.server(.tls12 ... .tls12))
        #expect(none == nil && defaultInitiator.negotiatedVersion == .tls12)
    }

    @Test("Main Mode over TLS 1.1 establishes when both rules allow it")
    func mainModeOverTLS11() throws {
        var fixture = EngineFixture(
            clientAuth: [.certificate(try Self.client(.tls11 ... .tls11))],
            serverAuth: [.certificate(try Self.server(.tls10 ... .tls12))])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
    }

    @Test("Both sides derive the same GSS-APIsecret candidates, of their lengths and all different, in TLS 1.2 and 1.0")
    func secretCandidates() throws {
        for versions in [TLSVersion.tls12 ... .tls12, .tls10 ... .tls10] {
            let (initiator, acceptor, failure) = try Self.handshake(
                client: try Self.client(versions), server: try Self.server(.tls10 ... .tls12))
            #expect(failure == nil)
            let mine = TLSSecretForm.allCases.map { initiator.sessionKey($0) }
            let theirs = TLSSecretForm.allCases.map { acceptor.sessionKey($0) }
            #expect(mine == theirs && !mine.contains(nil))
            #expect(mine.map { $0?.count } == [32, 64, 48])
            #expect(Set(mine.compactMap { $0 }).count == 3)
        }
    }
}
