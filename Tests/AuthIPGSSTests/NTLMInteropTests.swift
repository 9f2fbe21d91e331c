import AuthIPCrypto
import AuthIPGSS
import Foundation
import Testing

/// Our NTLM contexts against pyspnego's, an independent implementation of MS-NLMP, both ways.
/// pyspnego must be importable (scripts/install-deps.sh installs it): without it these tests
/// fail rather than skip.
@Suite("NTLM interop with pyspnego", .serialized)
struct NTLMInteropTests {
    init() throws {
        #expect(try NTLMPeerProcess.pyspnegoIsImportable(), "pyspnego is missing: run scripts/install-deps.sh")
    }

    // MARK: our initiator, pyspnego's acceptor

    /// Relays our initiator's tokens to pyspnego's acceptor, which knows CORP\CLIENT1$ by its
    /// password, and returns its last line.
    private func runAgainstPyspnegoAcceptor(_ initiator: inout NTLMInitiatorContext) throws -> NTLMPeerProcess.Line? {
        let users = FileManager.default.temporaryDirectory.appendingPathComponent("ntlm-users-\(UUID().uuidString).txt")
        try "CORP:CLIENT1$:Client1-Machine-Secret\n".write(to: users, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: users) }
        let peer = try NTLMPeerProcess(script: "pyspnego_server.py", environment: ["NTLM_USER_FILE": users.path])
        var random = SystemRandomSource()
        peer.send(try initiator.step([], now: Date(), random: &random).token)
        guard case .token(let challenge) = peer.next() else {
            Issue.record("pyspnego sent no CHALLENGE_MESSAGE")
            return nil
        }
        peer.send(try initiator.step(challenge, now: Date(), random: &random).token)
        return peer.next()
    }

    @Test func pyspnegoAcceptsOurComputerAccountAndExportsTheSameKey() throws {
        var initiator = NTLMFixture.initiator()
        let outcome = try runAgainstPyspnegoAcceptor(&initiator)
        #expect(initiator.isComplete)
        let key = try #require(initiator.sessionKey)
        #expect(outcome == .complete(sessionKey: key.bytes, principal: "CORP\\CLIENT1$"))
    }

    @Test func pyspnegoRefusesOurInitiatorWithAWrongPassword() throws {
        var initiator = NTLMFixture.initiator(password: "not-the-secret")
        let outcome = try runAgainstPyspnegoAcceptor(&initiator)
        guard case .failed(let reason) = outcome else {
            Issue.record("pyspnego accepted a wrong password: \(String(describing: outcome))")
            return
        }
        #expect(reason.contains("Invalid NTLM response"))
    }

    // MARK: pyspnego's initiator, our acceptor

    /// pyspnego's initiator for `user` against our acceptor on the example directory: the
    /// acceptor after the exchange, its failure if it refused, and pyspnego's session key.
    private func runPyspnegoInitiator(
        user: String, password: String
    )
        throws -> (acceptor: NTLMAcceptorContext, failure: GSSFailure?, peerKey: [UInt8]?)
    {
        var acceptor = try NTLMFixture.acceptor()
        let peer = try NTLMPeerProcess(
            script: "pyspnego_client.py",
            environment: [
                "NTLM_PEER_USER": user, "NTLM_PEER_PASSWORD": password, "NETBIOS_COMPUTER_NAME": "CLIENT1",
            ])
        var random = SystemRandomSource()
        guard case .token(let negotiate) = peer.next() else {
            Issue.record("pyspnego sent no NEGOTIATE_MESSAGE")
            return (acceptor, nil, nil)
        }
        peer.send(try acceptor.step(negotiate, now: Date(), random: &random).token)
        guard case .token(let authenticate) = peer.next() else {
            Issue.record("pyspnego sent no AUTHENTICATE_MESSAGE")
            return (acceptor, nil, nil)
        }
        var peerKey: [UInt8]?
        if case .complete(let key, _) = peer.next() { peerKey = key }
        do {
            #expect(try acceptor.step(authenticate, now: Date(), random: &random).token.isEmpty)
            return (acceptor, nil, peerKey)
        } catch {
            return (acceptor, error, peerKey)
        }
    }

    @Test func ourAcceptorAuthenticatesPyspnegoForAComputerAccount() throws {
        let run = try runPyspnegoInitiator(user: "CORP\\CLIENT1$", password: "Client1-Machine-Secret")
        #expect(run.failure == nil)
        #expect(run.acceptor.isComplete)
        #expect(run.acceptor.peerName == "CORP\\CLIENT1$")
        #expect(run.acceptor.isComputerAccount)
        let key = try #require(run.acceptor.sessionKey)
        #expect(key.bytes == run.peerKey, "pyspnego exported another session key")
    }

    @Test func ourAcceptorAuthenticatesPyspnegoForAUser() throws {
        let run = try runPyspnegoInitiator(user: "corp\\ALICE", password: "Alice-Passw0rd!")
        #expect(run.failure == nil)
        #expect(run.acceptor.peerName == "CORP\\alice")
        #expect(!run.acceptor.isComputerAccount)
        #expect(run.acceptor.sessionKey?.bytes == run.peerKey)
    }

    @Test func ourAcceptorDeniesPyspnegoWithAWrongPassword() throws {
        let run = try runPyspnegoInitiator(user: "CORP\\CLIENT1$", password: "not-the-secret")
        #expect(run.failure?.status == .secELogonDenied)
        #expect(!run.acceptor.isComplete)
    }

    @Test func ourAcceptorDeniesPyspnegoForADisabledComputer() throws {
        let run = try runPyspnegoInitiator(user: "CORP\\STOLEN$", password: "Stolen-Machine-Secret")
        #expect(run.failure?.status == .secELogonDenied)
        #expect(run.failure?.detail.contains("STATUS_ACCOUNT_DISABLED") == true)
        #expect(run.acceptor.peerName == nil)
    }
}
