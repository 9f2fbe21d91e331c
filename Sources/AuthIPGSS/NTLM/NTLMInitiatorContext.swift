import AuthIPCrypto
import AuthIPWire
import Foundation

/// The initiator of an NTLMv2 exchange (method 5): NEGOTIATE out, CHALLENGE in, AUTHENTICATE
/// out, then complete. NTLM authenticates the initiator only, so there is no peer name; the
/// session key is the ExportedSessionKey. The client challenge and the exported session key
/// are drawn from `random` in that order, and a CHALLENGE without MsvAvTimestamp takes its
/// time from `now`, so an exchange replays byte for byte.
public struct NTLMInitiatorContext: GSSContext {
    public let method = AuthMethod.ntlm
    public let role = GSSRole.initiator
    public let credentials: NTLMCredentials
    private var state: State = .initial

    /// The flags of our NEGOTIATE_MESSAGE, as Windows sends them: Unicode (or OEM), the
    /// target's name, NTLM with extended session security, signing and sealing with 128-bit
    /// keys and key exchange (which make the exported session key a random one), and Version.
    public static let requestedFlags: NTLMNegotiateFlags = [
        .unicode, .oem, .requestTarget, .sign, .seal, .ntlm, .alwaysSign, .extendedSessionSecurity,
        .version, .key128, .keyExchange, .key56,
    ]

    private enum State {
        case initial
        case negotiateSent(negotiate: [UInt8])
        case complete(sessionKey: SecretBytes)
        case failed
    }

    public init(credentials: NTLMCredentials) {
        self.credentials = credentials
    }

    public var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    /// Always nil: NTLM does not authenticate the acceptor.
    public var peerName: String? { nil }

    public var sessionKey: SecretBytes? {
        if case .complete(let key) = state { return key }
        return nil
    }

    public mutating func step<R: RandomSource>(
        _ token: [UInt8], now: Date, random: inout R
    ) throws(GSSFailure) -> GSSStep {
        switch state {
        case .initial:
            guard token.isEmpty else {
                state = .failed
                throw GSSFailure(.secEInvalidToken, "the NTLM initiator starts with an empty token")
            }
            let negotiate = NTLMNegotiateMessage(flags: Self.requestedFlags, version: .announced).serialized()
            state = .negotiateSent(negotiate: negotiate)
            return .token(negotiate)
        case .negotiateSent(let negotiate):
            do throws(GSSFailure) {
                let (authenticate, sessionKey) = try answer(
                    challenge: token, negotiate: negotiate, now: now, random: &random)
                state = .complete(sessionKey: sessionKey)
                return .token(authenticate)
            } catch {
                state = .failed
                throw error
            }
        case .complete, .failed:
            throw GSSFailure(.secEInvalidToken, "the NTLM initiator expects no more tokens")
        }
    }

    /// The AUTHENTICATE_MESSAGE for `challenge` (MS-NLMP §3.1.5.1.2) and the exported session key.
    private func answer<R: RandomSource>(
        challenge token: [UInt8], negotiate: [UInt8], now: Date,
        random: inout R
    ) throws(GSSFailure) -> ([UInt8], SecretBytes) {
        let challenge = try NTLMChallengeMessage(parsing: token)
        guard challenge.flags.contains(.unicode) else {
            throw GSSFailure(.secEInvalidToken, "the NTLM CHALLENGE_MESSAGE did not select Unicode")
        }
        var flags = challenge.flags.intersection(Self.requestedFlags.union(.targetInfo))
        if flags.contains(.keyExchange) && !flags.exchangesKey { flags.remove(.keyExchange) }

        // The server's pairs, with the MIC bit when it sent a timestamp; that timestamp, or
        // ours, is the response's time.
        var avPairs = challenge.targetInfo ?? NTLMTargetInfo()
        let serverTimestamp = avPairs.timestamp
        if serverTimestamp != nil { avPairs.flags |= NTLMTargetInfo.micProvided }
        let clientChallenge = NTLMv2ClientChallenge(
            timestamp: serverTimestamp ?? FileTime(now),
            challengeFromClient: random.bytes(8), avPairs: avPairs)

        let responseKey = NTLMv2.responseKey(
            ntHash: credentials.ntHash, user: credentials.user, domain: credentials.domain)
        let temp = clientChallenge.serialized
        let proof = NTLMv2.ntProofString(
            responseKey: responseKey, serverChallenge: challenge.serverChallenge, clientChallenge: temp)
        let keyExchangeKey = NTLMv2.sessionBaseKey(responseKey: responseKey, ntProofString: proof)
        // With a MIC the LM response is Z(24) (§3.1.5.1.2); without one, LMv2.
        let lmResponse =
            serverTimestamp != nil
            ? [UInt8](repeating: 0, count: 24)
            : NTLMv2.lmResponse(
                responseKey: responseKey, serverChallenge: challenge.serverChallenge,
                clientChallenge: clientChallenge.challengeFromClient)

        let exportedSessionKey: SecretBytes
        var encryptedKey: [UInt8] = []
        if flags.exchangesKey {
            exportedSessionKey = random.secret(16)
            do {
                encryptedKey = try RC4.encrypt(key: keyExchangeKey, exportedSessionKey)
            } catch {
                throw GSSFailure(.secEInternalError, "RC4 of the exported session key failed: \(error)")
            }
        } else {
            exportedSessionKey = keyExchangeKey
        }

        var authenticate = NTLMAuthenticateMessage(
            flags: flags, lmChallengeResponse: lmResponse, ntChallengeResponse: proof + temp,
            domainName: credentials.domain, userName: credentials.user, workstation: credentials.workstation,
            encryptedRandomSessionKey: encryptedKey, version: flags.contains(.version) ? .announced : nil, mic: nil)
        if serverTimestamp != nil {
            authenticate.mic = NTLMv2.mic(
                exportedSessionKey: exportedSessionKey, negotiate: negotiate,
                challenge: token, authenticate: authenticate.serialized())
        }
        return (authenticate.serialized(), exportedSessionKey)
    }
}
