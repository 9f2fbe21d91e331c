import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPTestSupport
import Foundation
import Testing

/// Random bytes handed out from a fixed script (the published values' client challenge and
/// session key); a context that asks for more than the script holds fails the test.
struct NTLMScriptedRandom: RandomSource {
    var script: [UInt8]

    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        if buffer.count > script.count {
            Issue.record("the NTLM context drew \(buffer.count) random bytes; \(script.count) were scripted")
            script += [UInt8](repeating: 0, count: buffer.count - script.count)
        }
        for i in 0..<buffer.count { buffer[i] = script[i] }
        script.removeFirst(buffer.count)
    }
}

/// The example domain of TestVectors/directory/accounts.json and a DirectAccess server in it.
enum NTLMFixture {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func directory() throws -> JSONAccountDirectory {
        try JSONAccountDirectory(contentsOf: TestVectors.directory.appendingPathComponent("directory/accounts.json"))
    }

    static let configuration = NTLMAcceptorConfiguration(
        netbiosDomainName: "CORP", netbiosComputerName: "DASERVER",
        dnsDomainName: "corp.contoso.com", dnsComputerName: "daserver.corp.contoso.com")

    static func acceptor(
        _ configuration: NTLMAcceptorConfiguration = configuration,
        directory: (any AccountDirectory)? = nil
    ) throws -> NTLMAcceptorContext {
        NTLMAcceptorContext(configuration: configuration, directory: try directory ?? Self.directory())
    }

    static func initiator(
        user: String = "CLIENT1$", domain: String = "CORP",
        password: String = "Client1-Machine-Secret"
    ) -> NTLMInitiatorContext {
        NTLMInitiatorContext(
            credentials: NTLMCredentials(user: user, domain: domain, password: password, workstation: "CLIENT1"))
    }
}

/// The three tokens of one exchange between two of our contexts, and the contexts after it.
struct NTLMExchange {
    var initiator: NTLMInitiatorContext
    var acceptor: NTLMAcceptorContext
    var negotiate: [UInt8] = []
    var challenge: [UInt8] = []
    var authenticate: [UInt8] = []
    /// The acceptor as it stood after sending CHALLENGE, to try other AUTHENTICATE messages on.
    var acceptorAwaitingAuthenticate: NTLMAcceptorContext
    /// The acceptor's answer to AUTHENTICATE, or its failure.
    var result: Result<[UInt8], GSSFailure> = .success([])

    /// Runs the exchange at `now`; the acceptor checks AUTHENTICATE at `verifiedAt` (default
    /// `now`). Seeds the two sides' random sources from `seed`.
    init(
        initiator: NTLMInitiatorContext, acceptor: NTLMAcceptorContext, seed: UInt64 = 1,
        now: Date = NTLMFixture.now, verifiedAt: Date? = nil
    ) throws {
        self.initiator = initiator
        self.acceptor = acceptor
        acceptorAwaitingAuthenticate = acceptor
        var clientRandom = SeededRandomSource(seed: seed)
        var serverRandom = SeededRandomSource(seed: seed &+ 1)
        negotiate = try self.initiator.step([], now: now, random: &clientRandom).token
        challenge = try self.acceptor.step(negotiate, now: now, random: &serverRandom).token
        acceptorAwaitingAuthenticate = self.acceptor
        authenticate = try self.initiator.step(challenge, now: now, random: &clientRandom).token
        do {
            result = .success(try self.acceptor.step(authenticate, now: verifiedAt ?? now, random: &serverRandom).token)
        } catch {
            result = .failure(error)
        }
    }

    /// The acceptor's failure, nil when it authenticated the initiator.
    var failure: GSSFailure? {
        if case .failure(let error) = result { return error }
        return nil
    }
}
