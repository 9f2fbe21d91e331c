import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPJSON
import AuthIPTestSupport
import Foundation
import Testing

/// The published values of MS-NLMP §4.2 (TestVectors/crypto/ntlm-msnlmp.json), reproduced
/// through the functions and contexts that run real exchanges.
@Suite("NTLM: MS-NLMP §4.2 published values")
struct NTLMVectorTests {
    let common: JSONValue
    let v1: JSONValue
    let v2: JSONValue

    init() throws {
        let file = try TestVectors.load("crypto/ntlm-msnlmp.json")
        common = try #require(file["common"])
        v1 = try #require(file["ntlmv1"])
        v2 = try #require(file["ntlmv2"])
    }

    static func ntHash(_ common: JSONValue) throws -> SecretBytes {
        Account.ntHash(password: try common.string("password"))
    }

    var responseKey: SecretBytes {
        get throws {
            NTLMv2.responseKey(
                ntHash: try Self.ntHash(common), user: try common.string("user"),
                domain: try common.string("userDomain"))
        }
    }

    /// The NTLMv2_CLIENT_CHALLENGE of §4.2.4 built from its parts: Time zero, the client
    /// challenge, and the server's AV pairs.
    var clientChallenge: NTLMv2ClientChallenge {
        get throws {
            NTLMv2ClientChallenge(
                timestamp: FileTime(rawValue: 0), challengeFromClient: try common.hex("clientChallenge"),
                avPairs: try NTLMTargetInfo(parsing: try v2.hex("targetInfo")))
        }
    }

    @Test func ntHashIsNTOWFv1OfSection4_2_2_1_2() throws {
        #expect(try Self.ntHash(common).bytes == v1.hex("ntowfv1"))
    }

    @Test func responseKeyIsNTOWFv2OfSection4_2_4_1_1() throws {
        #expect(try responseKey.bytes == v2.hex("responseKeyNT"))
    }

    @Test func clientChallengeStructureIsTempOfSection4_2_4_1_3() throws {
        #expect(try clientChallenge.serialized == v2.hex("clientChallengeStructure"))
        let parsed = try NTLMv2ClientChallenge(parsing: v2.hex("clientChallengeStructure"))
        #expect(try parsed == clientChallenge)
    }

    @Test func responsesAndKeysAreThoseOfSection4_2_4_2() throws {
        let serverChallenge = try common.hex("serverChallenge")
        let proof = NTLMv2.ntProofString(
            responseKey: try responseKey, serverChallenge: serverChallenge,
            clientChallenge: try clientChallenge.serialized)
        #expect(try proof == v2.hex("ntProofStr"))
        let lm = NTLMv2.lmResponse(
            responseKey: try responseKey, serverChallenge: serverChallenge,
            clientChallenge: try common.hex("clientChallenge"))
        #expect(try lm == v2.hex("lmv2Response"))
        let sessionBaseKey = NTLMv2.sessionBaseKey(responseKey: try responseKey, ntProofString: proof)
        #expect(try sessionBaseKey.bytes == v2.hex("sessionBaseKey"))
        #expect(try sessionBaseKey.bytes == v2.hex("keyExchangeKey"))
        let encrypted = try RC4.encrypt(key: sessionBaseKey, SecretBytes(try common.hex("randomSessionKey")))
        #expect(try encrypted == v2.hex("encryptedSessionKey"))
        #expect(try RC4.decrypt(key: sessionBaseKey, encrypted).bytes == common.hex("randomSessionKey"))
    }

    @Test func publishedChallengeMessageParses() throws {
        let challenge = try NTLMChallengeMessage(parsing: v2.hex("challengeMessage"))
        let flags = try #require(UInt32(try v2.string("challengeFlags"), radix: 16))
        #expect(challenge.flags.rawValue == flags)
        #expect(try challenge.serverChallenge == common.hex("serverChallenge"))
        #expect(try challenge.targetName == common.string("serverName"))
        #expect(try challenge.targetInfo?.serialized == v2.hex("targetInfo"))
        #expect(try challenge.targetInfo?.name(.nbDomainName) == common.string("userDomain"))
        #expect(try challenge.targetInfo?.name(.nbComputerName) == common.string("serverName"))
        #expect(challenge.targetInfo?.timestamp == nil)
        #expect(challenge.version == NTLMVersion(major: 6, minor: 0, build: 6000))
    }

    /// Our initiator, given the published CHALLENGE_MESSAGE and the published client challenge
    /// and random session key as its random bytes at Time zero, sends the published responses.
    @Test func initiatorAnswersThePublishedChallengeWithThePublishedResponses() throws {
        let credentials = NTLMCredentials(
            user: try common.string("user"), domain: try common.string("userDomain"),
            password: try common.string("password"), workstation: try common.string("workstationName"))
        var initiator = NTLMInitiatorContext(credentials: credentials)
        var random = NTLMScriptedRandom(script: try common.hex("clientChallenge") + common.hex("randomSessionKey"))
        let timeZero = Date(timeIntervalSince1970: -11_644_473_600)
        _ = try initiator.step([], now: timeZero, random: &random).token
        let token = try initiator.step(try v2.hex("challengeMessage"), now: timeZero, random: &random).token
        let authenticate = try NTLMAuthenticateMessage(parsing: token)
        #expect(try authenticate.ntChallengeResponse == v2.hex("ntProofStr") + v2.hex("clientChallengeStructure"))
        #expect(try authenticate.lmChallengeResponse == v2.hex("lmv2Response"))
        #expect(try authenticate.encryptedRandomSessionKey == v2.hex("encryptedSessionKey"))
        #expect(try authenticate.userName == common.string("user"))
        #expect(try authenticate.domainName == common.string("userDomain"))
        #expect(try authenticate.workstation == common.string("workstationName"))
        #expect(authenticate.mic == [UInt8](repeating: 0, count: 16), "no MIC without MsvAvTimestamp")
        #expect(initiator.isComplete)
        #expect(try initiator.sessionKey?.bytes == common.hex("randomSessionKey"))
    }

    /// Our acceptor, having sent the published server challenge, authenticates the published
    /// AUTHENTICATE_MESSAGE against a directory holding User of Domain and recovers the
    /// published random session key. The message predates the MIC and carries Time zero, so
    /// neither is required here.
    @Test func acceptorAuthenticatesThePublishedAuthenticateMessage() throws {
        let directory = try JSONAccountDirectory(
            json: """
                {"domain": "Domain", "accounts": [{"name": "User", "kind": "user", "password": "Password"}]}
                """)
        var configuration = NTLMFixture.configuration
        configuration.requiresMIC = false
        configuration.maximumTimestampSkew = nil
        var acceptor = NTLMAcceptorContext(configuration: configuration, directory: directory)
        var random = NTLMScriptedRandom(script: try common.hex("serverChallenge"))
        let negotiate = NTLMNegotiateMessage(flags: NTLMInitiatorContext.requestedFlags, version: nil).serialized()
        let challenge = try NTLMChallengeMessage(
            parsing: try acceptor.step(negotiate, now: NTLMFixture.now, random: &random).token)
        #expect(try challenge.serverChallenge == common.hex("serverChallenge"))
        let answer = try acceptor.step(try v2.hex("authenticateMessage"), now: NTLMFixture.now, random: &random).token
        #expect(answer.isEmpty)
        #expect(acceptor.isComplete)
        #expect(try acceptor.sessionKey?.bytes == common.hex("randomSessionKey"))
        #expect(acceptor.peerName == "Domain\\User")
        #expect(acceptor.isComputerAccount == false)
    }

    @Test func publishedAuthenticateMessageWithAnotherPasswordIsDenied() throws {
        let directory = try JSONAccountDirectory(
            json: """
                {"domain": "Domain", "accounts": [{"name": "User", "kind": "user", "password": "Passw0rd"}]}
                """)
        var configuration = NTLMFixture.configuration
        configuration.requiresMIC = false
        var acceptor = NTLMAcceptorContext(configuration: configuration, directory: directory)
        var random = NTLMScriptedRandom(script: try common.hex("serverChallenge"))
        let negotiate = NTLMNegotiateMessage(flags: NTLMInitiatorContext.requestedFlags, version: nil).serialized()
        _ = try acceptor.step(negotiate, now: NTLMFixture.now, random: &random).token
        let error = #expect(throws: GSSFailure.self) {
            try acceptor.step(try v2.hex("authenticateMessage"), now: NTLMFixture.now, random: &random).token
        }
        #expect(error?.status == .secELogonDenied)
        #expect(!acceptor.isComplete)
    }
}
