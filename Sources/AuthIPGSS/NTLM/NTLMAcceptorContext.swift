import AuthIPAccounts
import AuthIPCrypto
import AuthIPWire
import Foundation

/// The acceptor of an NTLMv2 exchange (method 5): NEGOTIATE in, CHALLENGE out, AUTHENTICATE
/// in, an empty token out, complete. The AUTHENTICATE_MESSAGE is checked (MS-NLMP §3.2.5.1.2)
/// against an `AccountDirectory`, or by the domain controller (`NTLMVerifier`): NTProofStr,
/// then the MIC over the three messages with the exported session key, then the account's
/// state and policy, then the timestamp. With the domain controller, the AUTHENTICATE step
/// `.needs` the DC's check, and `resume` finishes it with the DC's answer.
///
/// Failures carry the status Windows reports through SSPI: SEC_E_INVALID_TOKEN for a message
/// that does not parse or whose MIC does not match (as Samba and pyspnego also treat a bad
/// MIC); SEC_E_LOGON_DENIED for an unknown account or wrong password (Windows' single
/// STATUS_LOGON_FAILURE), for a disabled account (STATUS_ACCOUNT_DISABLED, which SSPI
/// reports as SEC_E_LOGON_DENIED), for an account whose policy denies NTLM, for NTLMv1 or
/// anonymous logons, and for a missing MIC when one is required; SEC_E_TIME_SKEW for a
/// response whose TimeStamp is too far from `now` (MS-NLMP only says "a failure"; this is
/// the SSPI code named for the condition).
///
/// The server challenge is drawn from `random` and MsvAvTimestamp is `now`, so an exchange
/// replays byte for byte.
public struct NTLMAcceptorContext: GSSContext {
    public let method = AuthMethod.ntlm
    public let role = GSSRole.acceptor
    public let configuration: NTLMAcceptorConfiguration
    public let verifier: NTLMVerifier
    private var state: State = .awaitingNegotiate

    /// The flags we take over from the client's NEGOTIATE when it sets them.
    static let supportedFlags: NTLMNegotiateFlags = [
        .sign, .seal, .alwaysSign, .extendedSessionSecurity, .version, .key128, .keyExchange, .key56,
    ]

    private enum State {
        case awaitingNegotiate
        case challengeSent(ChallengeSent)
        case awaitingValidation(Received)
        case complete(Logon)
        case failed
    }

    private struct ChallengeSent {
        var negotiate: [UInt8]
        var challenge: [UInt8]
        var serverChallenge: [UInt8]
    }

    /// An AUTHENTICATE_MESSAGE that parsed, waiting for the DC.
    private struct Received {
        var sent: ChallengeSent
        var token: [UInt8]
        var message: NTLMAuthenticateMessage
        var clientChallenge: NTLMv2ClientChallenge
    }

    private struct Logon {
        var account: Account
        var sessionKey: SecretBytes
    }

    public init(configuration: NTLMAcceptorConfiguration, verifier: NTLMVerifier) {
        self.configuration = configuration
        self.verifier = verifier
    }

    public init(configuration: NTLMAcceptorConfiguration, directory: any AccountDirectory) {
        self.init(configuration: configuration, verifier: .directory(directory))
    }

    /// The check the domain controller makes of an AUTHENTICATE_MESSAGE.
    private static func validation(of received: Received) -> NTLMValidationRequest {
        NTLMValidationRequest(
            userName: received.message.userName, domainName: received.message.domainName,
            workstation: received.message.workstation, serverChallenge: received.sent.serverChallenge,
            ntResponse: received.message.ntChallengeResponse, lmResponse: received.message.lmChallengeResponse)
    }

    /// Finishes the exchange with the domain controller's answer.
    public mutating func resume(_ answer: GSSAnswer, now: Date) throws(GSSFailure) -> GSSStep {
        guard case .awaitingValidation(let received) = state, case .domainController(let validation) = answer else {
            throw GSSFailure(.secEInvalidToken, "the NTLM acceptor is not waiting for a domain controller")
        }
        do throws(GSSFailure) {
            switch validation {
            case .validated(let sessionBaseKey, let account):
                state = .complete(try finish(received, sessionBaseKey: sessionBaseKey, account: account, now: now))
            case .refused(let status, let reason):
                throw GSSFailure(
                    status,
                    "the domain controller refused \(received.message.domainName)\\\(received.message.userName): \(reason)"
                )
            case .unavailable(let reason):
                throw GSSFailure(
                    .secENoAuthenticatingAuthority, "no domain controller could check the NTLM response: \(reason)")
            }
        } catch {
            state = .failed
            throw error
        }
        return .token([])
    }

    public var isComplete: Bool { logon != nil }

    /// The authenticated account as the directory (or the domain controller) holds it.
    public var authenticatedAccount: Account? { logon?.account }

    /// Whether the authenticated account is a computer account (`NAME$`).
    public var isComputerAccount: Bool { logon?.account.kind == .computer }

    /// `DOMAIN\NAME` with the directory's spelling (`CORP\CLIENT1$`), the form the Windows
    /// Security log gives NTLM identities in.
    public var peerName: String? { logon?.account.qualifiedName }

    /// The ExportedSessionKey.
    public var sessionKey: SecretBytes? { logon?.sessionKey }

    private var logon: Logon? {
        if case .complete(let logon) = state { return logon }
        return nil
    }

    public mutating func step<R: RandomSource>(
        _ token: [UInt8], now: Date, random: inout R
    ) throws(GSSFailure) -> GSSStep {
        do throws(GSSFailure) {
            switch state {
            case .awaitingNegotiate:
                let sent = try challenge(for: token, now: now, random: &random)
                state = .challengeSent(sent)
                return .token(sent.challenge)
            case .challengeSent(let sent):
                let received = try receive(token, after: sent)
                switch verifier {
                case .directory(let directory):
                    state = .complete(try verify(received, directory: directory, now: now))
                    return .token([])
                case .domainController:
                    state = .awaitingValidation(received)
                    return .needs(.domainController(Self.validation(of: received)))
                }
            case .awaitingValidation, .complete, .failed:
                break
            }
        } catch {
            state = .failed
            throw error
        }
        throw GSSFailure(.secEInvalidToken, "the NTLM acceptor expects no more tokens")
    }

    /// The CHALLENGE_MESSAGE answering `token` (§3.2.5.1.1).
    private func challenge<R: RandomSource>(
        for token: [UInt8], now: Date, random: inout R
    ) throws(GSSFailure) -> ChallengeSent {
        let negotiate = try NTLMNegotiateMessage(parsing: token)
        var flags: NTLMNegotiateFlags = [.ntlm, .requestTarget, .targetTypeDomain, .targetInfo]
        if negotiate.flags.contains(.unicode) {
            flags.insert(.unicode)
        } else if negotiate.flags.contains(.oem) {
            flags.insert(.oem)
        } else {
            throw GSSFailure(.secEInvalidToken, "the NTLM NEGOTIATE_MESSAGE offers neither Unicode nor OEM")
        }
        flags.formUnion(negotiate.flags.intersection(Self.supportedFlags))

        var targetInfo = NTLMTargetInfo()
        targetInfo.setName(.nbDomainName, configuration.netbiosDomainName)
        targetInfo.setName(.nbComputerName, configuration.netbiosComputerName)
        targetInfo.setName(.dnsDomainName, configuration.dnsDomainName)
        targetInfo.setName(.dnsComputerName, configuration.dnsComputerName)
        targetInfo.timestamp = FileTime(now)
        let serverChallenge = random.bytes(8)
        let message = NTLMChallengeMessage(
            flags: flags, targetName: configuration.netbiosDomainName,
            serverChallenge: serverChallenge, targetInfo: targetInfo,
            version: flags.contains(.version) ? .announced : nil)
        return ChallengeSent(negotiate: token, challenge: message.serialized(), serverChallenge: serverChallenge)
    }

    /// Parses the AUTHENTICATE_MESSAGE `token` and refuses what no verifier may accept:
    /// anonymous and NTLMv1 logons.
    private func receive(_ token: [UInt8], after sent: ChallengeSent) throws(GSSFailure) -> Received {
        let message = try NTLMAuthenticateMessage(parsing: token)
        let who = "\(message.domainName)\\\(message.userName)"
        guard !message.userName.isEmpty else {
            throw GSSFailure(.secELogonDenied, "anonymous NTLM logons are refused")
        }
        guard message.ntChallengeResponse.count > 24 else {
            throw GSSFailure(.secELogonDenied, "\(who) sent an NTLMv1 response; only NTLMv2 is accepted")
        }
        let clientChallenge = try NTLMv2ClientChallenge(parsing: Array(message.ntChallengeResponse[16...]))
        return Received(sent: sent, token: token, message: message, clientChallenge: clientChallenge)
    }

    /// Checks NTProofStr with the account's NT hash (§3.3.2), then finishes.
    private func verify(_ received: Received, directory: any AccountDirectory, now: Date) throws(GSSFailure) -> Logon {
        let message = received.message
        let who = "\(message.domainName)\\\(message.userName)"
        guard let account = directory.account(named: message.userName, inDomain: message.domainName) else {
            throw GSSFailure(.secELogonDenied, "STATUS_LOGON_FAILURE: \(who) is not in the directory")
        }
        let responseKey = NTLMv2.responseKey(ntHash: account.ntHash, user: message.userName, domain: message.domainName)
        let temp = Array(message.ntChallengeResponse[16...])
        let proof = NTLMv2.ntProofString(
            responseKey: responseKey, serverChallenge: received.sent.serverChallenge, clientChallenge: temp)
        guard SecretBytes(proof) == SecretBytes(message.ntChallengeResponse[0..<16]) else {
            throw GSSFailure(
                .secELogonDenied, "STATUS_LOGON_FAILURE: the NTLMv2 response of \(who) does not match its password")
        }
        return try finish(
            received, sessionBaseKey: NTLMv2.sessionBaseKey(responseKey: responseKey, ntProofString: proof),
            account: account, now: now)
    }

    /// With the response proven (here or by the DC): the exported session key, the MIC, the
    /// account's state and policy, the timestamp.
    private func finish(
        _ received: Received, sessionBaseKey: SecretBytes, account: Account, now: Date
    ) throws(GSSFailure) -> Logon {
        let message = received.message
        let who = "\(message.domainName)\\\(message.userName)"
        let sessionKey = try exportedSessionKey(message, keyExchangeKey: sessionBaseKey)
        try checkMIC(
            message, token: received.token, clientChallenge: received.clientChallenge, sessionKey: sessionKey,
            after: received.sent)
        guard account.isEnabled else {
            throw GSSFailure(.secELogonDenied, "STATUS_ACCOUNT_DISABLED: \(account.qualifiedName) is disabled")
        }
        guard !account.policy.denyNTLM else {
            throw GSSFailure(
                .secELogonDenied, "STATUS_ACCOUNT_RESTRICTION: the policy of \(account.qualifiedName) denies NTLM")
        }
        if let limit = configuration.maximumTimestampSkew {
            let skew = received.clientChallenge.timestamp.distance(to: FileTime(now))
            guard skew <= limit else {
                throw GSSFailure(
                    .secETimeSkew, "the NTLMv2 response of \(who) is \(Int(skew)) s from now, over \(Int(limit)) s")
            }
        }
        return Logon(account: account, sessionKey: sessionKey)
    }

    /// The ExportedSessionKey: the key-exchange key, or with KEY_EXCH and SIGN or SEAL the key
    /// the client sent under RC4 (§3.2.5.1.2).
    private func exportedSessionKey(
        _ message: NTLMAuthenticateMessage, keyExchangeKey: SecretBytes
    ) throws(GSSFailure) -> SecretBytes {
        guard message.flags.exchangesKey else { return keyExchangeKey }
        guard message.encryptedRandomSessionKey.count == 16 else {
            throw GSSFailure(
                .secEInvalidToken,
                "the NTLM EncryptedRandomSessionKey is \(message.encryptedRandomSessionKey.count) bytes, not 16")
        }
        do {
            return try RC4.decrypt(key: keyExchangeKey, message.encryptedRandomSessionKey)
        } catch {
            throw GSSFailure(.secEInternalError, "RC4 of the exported session key failed: \(error)")
        }
    }

    /// Checks the MIC the client's MsvAvFlags announce, or its absence against `requiresMIC`.
    private func checkMIC(
        _ message: NTLMAuthenticateMessage, token: [UInt8], clientChallenge: NTLMv2ClientChallenge,
        sessionKey: SecretBytes, after sent: ChallengeSent
    ) throws(GSSFailure) {
        guard clientChallenge.avPairs.flags & NTLMTargetInfo.micProvided != 0 else {
            if configuration.requiresMIC {
                throw GSSFailure(.secELogonDenied, "the NTLM AUTHENTICATE_MESSAGE carries no MIC")
            }
            return
        }
        guard let received = message.mic else {
            throw GSSFailure(.secEInvalidToken, "the NTLM AUTHENTICATE_MESSAGE announces a MIC but has no MIC field")
        }
        let expected = NTLMv2.mic(
            exportedSessionKey: sessionKey, negotiate: sent.negotiate,
            challenge: sent.challenge, authenticate: token)
        guard SecretBytes(expected) == SecretBytes(received) else {
            throw GSSFailure(.secEInvalidToken, "the MIC of the NTLM AUTHENTICATE_MESSAGE does not match")
        }
    }
}
