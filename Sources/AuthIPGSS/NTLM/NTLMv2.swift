import AuthIPAccounts
import AuthIPCrypto

/// The NTLMv2 computations of MS-NLMP §3.3.2 and §3.4.5, shared by both contexts (and run by
/// the §4.2 vector tests exactly as the contexts run them).
public enum NTLMv2 {
    /// NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(ConcatenationOf(Uppercase(User), UserDom))), which
    /// is both ResponseKeyNT and ResponseKeyLM.
    public static func responseKey(ntHash: SecretBytes, user: String, domain: String) -> SecretBytes {
        SecretBytes(
            HashAlgorithm.md5.hmac(key: ntHash, WindowsText.utf16LittleEndian(WindowsText.uppercased(user) + domain)))
    }

    /// NTProofStr = HMAC_MD5(ResponseKeyNT, ConcatenationOf(ServerChallenge, temp)), with
    /// `clientChallenge` the serialized NTLMv2_CLIENT_CHALLENGE (temp) exactly as sent.
    public static func ntProofString(
        responseKey: SecretBytes, serverChallenge: [UInt8], clientChallenge: [UInt8]
    ) -> [UInt8] {
        HashAlgorithm.md5.hmac(key: responseKey, serverChallenge, clientChallenge)
    }

    /// The LMv2 response: HMAC_MD5(ResponseKeyLM, ConcatenationOf(ServerChallenge,
    /// ClientChallenge)) followed by ClientChallenge.
    public static func lmResponse(
        responseKey: SecretBytes, serverChallenge: [UInt8], clientChallenge: [UInt8]
    ) -> [UInt8] {
        HashAlgorithm.md5.hmac(key: responseKey, serverChallenge, clientChallenge) + clientChallenge
    }

    /// SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr); with NTLMv2 it is also the
    /// KeyExchangeKey (KXKEY, §3.4.5.1).
    public static func sessionBaseKey(responseKey: SecretBytes, ntProofString: [UInt8]) -> SecretBytes {
        SecretBytes(HashAlgorithm.md5.hmac(key: responseKey, ntProofString))
    }

    /// MIC = HMAC_MD5(ExportedSessionKey, ConcatenationOf(NEGOTIATE_MESSAGE, CHALLENGE_MESSAGE,
    /// AUTHENTICATE_MESSAGE)), the last with its MIC field zeroed (§3.1.5.1.2).
    public static func mic(
        exportedSessionKey: SecretBytes, negotiate: [UInt8], challenge: [UInt8], authenticate: [UInt8]
    ) -> [UInt8] {
        var zeroed = authenticate
        let range = NTLMAuthenticateMessage.micRange
        if zeroed.count >= range.upperBound {
            zeroed.replaceSubrange(range, with: [UInt8](repeating: 0, count: range.count))
        }
        return HashAlgorithm.md5.hmac(key: exportedSessionKey, negotiate, challenge, zeroed)
    }
}
