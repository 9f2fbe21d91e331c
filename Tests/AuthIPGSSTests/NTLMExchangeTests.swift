import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import Foundation
import Testing

/// Our NTLM initiator against our acceptor on the example directory.
@Suite("NTLM exchanges")
struct NTLMExchangeTests {
    @Test func computerAccountAuthenticatesAndBothSidesExportTheSameKey() throws {
        let exchange = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor())
        #expect(exchange.result == .success([]))
        #expect(exchange.initiator.isComplete && exchange.acceptor.isComplete)
        let key = try #require(exchange.acceptor.sessionKey)
        #expect(key.count == 16)
        #expect(exchange.initiator.sessionKey == key)
        #expect(exchange.acceptor.peerName == "CORP\\CLIENT1$")
        #expect(exchange.acceptor.isComputerAccount)
        #expect(exchange.acceptor.authenticatedAccount?.isMember(of: "directaccess clients") == true)
        #expect(exchange.initiator.peerName == nil, "NTLM does not authenticate the acceptor")
    }

    @Test func userAuthenticatesWithAnNTHashCredential() throws {
        let hash = SecretBytes([
            0xfa, 0xc4, 0x0c, 0x75, 0x6c, 0x22, 0xe1, 0xdd, 0x54, 0x31, 0x57, 0xa9, 0x23, 0xc0, 0xbf, 0x91,
        ])
        let credentials = try #require(
            NTLMCredentials(user: "alice", domain: "CORP", ntHash: hash, workstation: "CLIENT1"))
        let exchange = try NTLMExchange(
            initiator: NTLMInitiatorContext(credentials: credentials), acceptor: NTLMFixture.acceptor())
        #expect(exchange.failure == nil)
        #expect(exchange.acceptor.peerName == "CORP\\alice")
        #expect(!exchange.acceptor.isComputerAccount)
        #expect(
            exchange.acceptor.authenticatedAccount?.policy.smartCardRequired == true,
            "smart-card policy does not stop NTLM")
    }

    @Test func ntHashCredentialsMustBe16Bytes() {
        #expect(
            NTLMCredentials(user: "alice", domain: "CORP", ntHash: SecretBytes([1, 2, 3]), workstation: "W") == nil)
    }

    @Test(arguments: [("client1$", "corp"), ("CLIENT1$", "corp.contoso.com"), ("Client1$", "")])
    func namesAndDomainsMatchWithoutRegardToCase(user: String, domain: String) throws {
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(user: user, domain: domain), acceptor: NTLMFixture.acceptor())
        #expect(exchange.failure == nil)
        #expect(exchange.acceptor.peerName == "CORP\\CLIENT1$", "the peer name takes the directory's spelling")
    }

    @Test func wrongPasswordIsLogonDenied() throws {
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(password: "guess"), acceptor: NTLMFixture.acceptor())
        #expect(exchange.failure?.status == .secELogonDenied)
        #expect(exchange.failure?.detail.contains("STATUS_LOGON_FAILURE") == true)
        #expect(
            !exchange.acceptor.isComplete && exchange.acceptor.sessionKey == nil
                && exchange.acceptor.authenticatedAccount == nil)
    }

    @Test(arguments: [("NOBODY$", "CORP"), ("CLIENT1$", "OTHERDOMAIN")])
    func unknownAccountIsLogonDenied(user: String, domain: String) throws {
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(user: user, domain: domain), acceptor: NTLMFixture.acceptor())
        #expect(exchange.failure?.status == .secELogonDenied)
    }

    @Test(arguments: [("STOLEN$", "Stolen-Machine-Secret"), ("bob", "Bob-Passw0rd!")])
    func disabledAccountIsLogonDeniedWithAccountDisabled(user: String, password: String) throws {
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(user: user, password: password), acceptor: NTLMFixture.acceptor())
        #expect(exchange.failure?.status == .secELogonDenied)
        #expect(exchange.failure?.detail.contains("STATUS_ACCOUNT_DISABLED") == true)
    }

    @Test func disabledAccountWithAWrongPasswordDoesNotRevealItIsDisabled() throws {
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(user: "STOLEN$", password: "guess"), acceptor: NTLMFixture.acceptor())
        #expect(exchange.failure?.status == .secELogonDenied)
        #expect(exchange.failure?.detail.contains("STATUS_LOGON_FAILURE") == true)
    }

    @Test func accountWhosePolicyDeniesNTLMIsLogonDenied() throws {
        let directory = try JSONAccountDirectory(
            json: """
                {"domain": "CORP", "accounts": [{"name": "carol", "kind": "user", "password": "pw", "denyNTLM": true}]}
                """)
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(user: "carol", password: "pw"),
            acceptor: NTLMFixture.acceptor(directory: directory))
        #expect(exchange.failure?.status == .secELogonDenied)
        #expect(exchange.failure?.detail.contains("STATUS_ACCOUNT_RESTRICTION") == true)
    }

    @Test func responseOlderThanTheAllowedSkewIsTimeSkew() throws {
        let late = NTLMFixture.now.addingTimeInterval(NTLMAcceptorConfiguration.windowsMaximumLifetime + 60)
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor(), verifiedAt: late)
        #expect(exchange.failure?.status == .secETimeSkew)
    }

    @Test func responseWithinTheAllowedSkewAuthenticates() throws {
        let later = NTLMFixture.now.addingTimeInterval(NTLMAcceptorConfiguration.windowsMaximumLifetime - 60)
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor(), verifiedAt: later)
        #expect(exchange.failure == nil)
    }

    @Test func skewCheckCanBeTurnedOff() throws {
        var configuration = NTLMFixture.configuration
        configuration.maximumTimestampSkew = nil
        let exchange = try NTLMExchange(
            initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor(configuration),
            verifiedAt: NTLMFixture.now.addingTimeInterval(30 * 86_400))
        #expect(exchange.failure == nil)
    }

    @Test func exchangesReplayByteForByteFromTheirSeeds() throws {
        let first = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor(), seed: 7)
        let again = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor(), seed: 7)
        let other = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor(), seed: 8)
        #expect(
            [first.negotiate, first.challenge, first.authenticate] == [
                again.negotiate, again.challenge, again.authenticate,
            ])
        #expect(first.acceptor.sessionKey == again.acceptor.sessionKey)
        #expect(first.challenge != other.challenge && first.authenticate != other.authenticate)
        #expect(first.acceptor.sessionKey != other.acceptor.sessionKey)
    }

    @Test func challengeCarriesTheServerNamesTimestampAndRandomChallenge() throws {
        let exchange = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor(), seed: 3)
        let challenge = try NTLMChallengeMessage(parsing: exchange.challenge)
        var serverRandom = SeededRandomSource(seed: 4)
        #expect(challenge.serverChallenge == serverRandom.bytes(8))
        #expect(challenge.targetName == "CORP")
        #expect(
            challenge.flags.isSuperset(of: [
                .unicode, .ntlm, .targetInfo, .keyExchange, .sign, .seal, .extendedSessionSecurity,
            ]))
        let info = try #require(challenge.targetInfo)
        #expect(info.name(.nbDomainName) == "CORP" && info.name(.nbComputerName) == "DASERVER")
        #expect(
            info.name(.dnsDomainName) == "corp.contoso.com"
                && info.name(.dnsComputerName) == "daserver.corp.contoso.com")
        #expect(info.timestamp == FileTime(NTLMFixture.now))
    }

    @Test func authenticateEchoesTheServerTimestampAndCarriesAMIC() throws {
        let exchange = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor())
        let message = try NTLMAuthenticateMessage(parsing: exchange.authenticate)
        let client = try NTLMv2ClientChallenge(parsing: Array(message.ntChallengeResponse[16...]))
        #expect(client.timestamp == FileTime(NTLMFixture.now))
        #expect(client.avPairs.flags & NTLMTargetInfo.micProvided != 0)
        #expect(message.lmChallengeResponse == [UInt8](repeating: 0, count: 24))
        let mic = try #require(message.mic)
        let key = try #require(exchange.initiator.sessionKey)
        #expect(
            mic
                == NTLMv2.mic(
                    exportedSessionKey: key, negotiate: exchange.negotiate, challenge: exchange.challenge,
                    authenticate: exchange.authenticate))
        #expect(message.workstation == "CLIENT1")
    }

    @Test func alteredNegotiateFlagsFailTheMIC() throws {
        var initiator = NTLMFixture.initiator()
        var acceptor = try NTLMFixture.acceptor()
        var random = SeededRandomSource(seed: 5)
        var negotiate = try initiator.step([], now: NTLMFixture.now, random: &random).token
        negotiate[12] &= ~0x20  // drop NTLMSSP_NEGOTIATE_SEAL on the way
        let challenge = try acceptor.step(negotiate, now: NTLMFixture.now, random: &random).token
        let authenticate = try initiator.step(challenge, now: NTLMFixture.now, random: &random).token
        let error = #expect(throws: GSSFailure.self) {
            try acceptor.step(authenticate, now: NTLMFixture.now, random: &random).token
        }
        #expect(error?.status == .secEInvalidToken)
        #expect(error?.detail.contains("MIC") == true)
    }

    @Test func strippingTheMICBreaksTheNTLMv2Response() throws {
        var initiator = NTLMFixture.initiator()
        var acceptor = try NTLMFixture.acceptor()
        var random = SeededRandomSource(seed: 6)
        let challenge = try acceptor.step(
            try initiator.step([], now: NTLMFixture.now, random: &random).token, now: NTLMFixture.now, random: &random
        ).token
        var message = try NTLMAuthenticateMessage(
            parsing: try initiator.step(challenge, now: NTLMFixture.now, random: &random).token)
        let proof = Array(message.ntChallengeResponse[0..<16])
        var client = try NTLMv2ClientChallenge(parsing: Array(message.ntChallengeResponse[16...]))
        client.avPairs.flags = 0
        message.ntChallengeResponse = proof + client.serialized
        message.mic = nil
        let error = #expect(throws: GSSFailure.self) {
            try acceptor.step(message.serialized(), now: NTLMFixture.now, random: &random).token
        }
        #expect(error?.status == .secELogonDenied)
    }

    @Test func ntlmv1AndAnonymousLogonsAreDenied() throws {
        for (user, response) in [("CLIENT1$", [UInt8](repeating: 7, count: 24)), ("", [])] {
            var acceptor = try NTLMFixture.acceptor()
            var random = SeededRandomSource(seed: 9)
            var initiator = NTLMFixture.initiator()
            _ = try acceptor.step(
                try initiator.step([], now: NTLMFixture.now, random: &random).token, now: NTLMFixture.now,
                random: &random
            ).token
            let message = NTLMAuthenticateMessage(
                flags: [.unicode, .ntlm], lmChallengeResponse: response, ntChallengeResponse: response,
                domainName: "CORP",
                userName: user, workstation: "CLIENT1", encryptedRandomSessionKey: [], version: nil, mic: nil)
            let error = #expect(throws: GSSFailure.self) {
                try acceptor.step(message.serialized(), now: NTLMFixture.now, random: &random).token
            }
            #expect(error?.status == .secELogonDenied)
        }
    }

    @Test func contextsRefuseTokensOutOfTurn() throws {
        var random = SeededRandomSource(seed: 10)
        var initiator = NTLMFixture.initiator()
        let first = #expect(throws: GSSFailure.self) {
            try initiator.step([1], now: NTLMFixture.now, random: &random).token
        }
        #expect(first?.status == .secEInvalidToken)
        #expect(throws: GSSFailure.self) { try initiator.step([], now: NTLMFixture.now, random: &random).token }

        var exchange = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor())
        let late = #expect(throws: GSSFailure.self) {
            try exchange.acceptor.step(exchange.authenticate, now: NTLMFixture.now, random: &random).token
        }
        #expect(late?.status == .secEInvalidToken)
        #expect(throws: GSSFailure.self) {
            try exchange.initiator.step(exchange.challenge, now: NTLMFixture.now, random: &random).token
        }

        var acceptor = try NTLMFixture.acceptor()
        let notNegotiate = #expect(throws: GSSFailure.self) {
            try acceptor.step(exchange.authenticate, now: NTLMFixture.now, random: &random).token
        }
        #expect(notNegotiate?.status == .secEInvalidToken)
        #expect(throws: GSSFailure.self) {
            try acceptor.step(exchange.negotiate, now: NTLMFixture.now, random: &random).token
        }
    }
}
