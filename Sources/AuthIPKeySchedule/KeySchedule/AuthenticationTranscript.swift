import AuthIPCrypto
import AuthIPWire

/// The running hash chain behind the authentication proofs (MS-AIPS 3.1.7.4):
/// h1 = H1(#1), h_k = H_k(#k || h_{k-1}). In Main Mode H is SHA-256 for the first
/// `InteropProfile.transcriptFixedHashMessageCount` messages and the negotiated hash after
/// them; in Extended Mode it is the negotiated hash throughout. Each message is its plaintext
/// payload chain (RISK 3 of Docs/InteropProfile.md).
public struct AuthenticationTranscript: Sendable {
    public let hash: HashAlgorithm
    private let fixedHashMessageCount: Int
    public private(set) var messageCount = 0
    public private(set) var digest: [UInt8] = []

    /// The chain of Auth1/Auth2 over MM #1, #2, then the GSS rounds.
    public static func mainMode(hash: HashAlgorithm) -> AuthenticationTranscript {
        AuthenticationTranscript(hash: hash, fixedHashMessageCount: InteropProfile.transcriptFixedHashMessageCount)
    }

    /// The chain of Auth3/Auth4 over the EM messages before Auth3.
    public static func extendedMode(hash: HashAlgorithm) -> AuthenticationTranscript {
        AuthenticationTranscript(hash: hash, fixedHashMessageCount: 0)
    }

    private init(hash: HashAlgorithm, fixedHashMessageCount: Int) {
        self.hash = hash
        self.fixedHashMessageCount = fixedHashMessageCount
    }

    /// Adds the next message: its plaintext payloads, the Crypto payload excluded (RISK 3 of
    /// Docs/InteropProfile.md).
    public mutating func append(payloads: [Payload]) {
        append(PayloadChain.serialize(payloads.filter { $0.type != .crypto }).bytes)
    }

    /// Adds the next message given as its serialized plaintext payload chain (what
    /// `CryptoPayloadProtection.Opened.plaintextChain` holds).
    public mutating func append(_ message: [UInt8]) {
        let h: HashAlgorithm = messageCount < fixedHashMessageCount ? .sha256 : hash
        digest = messageCount == 0 ? h.digest(message) : h.digest(message, digest)
        messageCount += 1
    }

    /// Auth1 (initiator, in #5): prf(SKEYID, h_n || 0x01).
    public func initiatorProof(skeyid: SecretBytes) -> [UInt8] { hash.hmac(key: skeyid, digest, [0x01]) }

    /// Auth2 (responder, in #6): prf(SKEYID, h_n || 0x02).
    public func responderProof(skeyid: SecretBytes) -> [UInt8] { hash.hmac(key: skeyid, digest, [0x02]) }

    /// Auth3 (EM initiator): prf(SKEYID_em, H_em || Auth1).
    public func extendedInitiatorProof(skeyidEM: SecretBytes, auth1: [UInt8]) -> [UInt8] {
        hash.hmac(key: skeyidEM, digest, auth1)
    }

    /// Auth4 (EM responder): prf(SKEYID_em, H_em || Auth2).
    public func extendedResponderProof(skeyidEM: SecretBytes, auth2: [UInt8]) -> [UInt8] {
        hash.hmac(key: skeyidEM, digest, auth2)
    }
}
