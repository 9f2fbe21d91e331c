import AuthIPCrypto
import AuthIPWire

/// One message as a transcript sees it: its ISAKMP header, its clear Crypto payload and its
/// plaintext payload chain. An encrypted message has only its chain.
public struct TranscriptMessage: Sendable, Hashable {
    public var header: [UInt8]
    public var cryptoPayload: [UInt8]
    public var chain: [UInt8]

    public init(header: [UInt8] = [], cryptoPayload: [UInt8] = [], chain: [UInt8]) {
        self.header = header
        self.cryptoPayload = cryptoPayload
        self.chain = chain
    }

    /// The bytes a form covers.
    func bytes(_ coverage: TranscriptForm.Coverage) -> [UInt8] {
        switch coverage {
        case .payloadChain: return chain
        case .withCryptoPayload: return cryptoPayload + chain
        case .wholeMessage: return header + cryptoPayload + chain
        }
    }
}

/// The messages behind the authentication proofs (MS-AIPS 3.1.7.4). In our form
/// (`TranscriptForm.standard`) the prf takes the hash chain h1 = H1(#1), h_k = H_k(#k ||
/// h_{k-1}) over each message's plaintext payload chain; in Main Mode H is SHA-256 for the
/// first `InteropProfile.transcriptFixedHashMessageCount` messages and the negotiated hash
/// after them, in Extended Mode the negotiated hash throughout (RISK 3 of
/// Docs/InteropProfile.md). Main Mode's proofs can also be computed in the other candidate
/// forms, which calibration tries against the peer's Auth1; the messages are kept for that
/// until the proofs are settled.
public struct AuthenticationTranscript: Sendable {
    public let hash: HashAlgorithm
    private let fixedHashMessageCount: Int
    public private(set) var messages: [TranscriptMessage] = []
    /// The hash chain of the standard form, kept as messages come.
    public private(set) var digest: [UInt8] = []

    public var messageCount: Int { messages.count }

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

    /// Adds the next message given as its plaintext payloads, the Crypto payload excluded.
    public mutating func append(payloads: [Payload]) {
        append(PayloadChain.serialize(payloads.filter { $0.type != .crypto }).bytes)
    }

    /// Adds the next message given as its serialized plaintext payload chain (what
    /// `CryptoPayloadProtection.Opened.plaintextChain` holds).
    public mutating func append(_ chain: [UInt8]) {
        append(TranscriptMessage(chain: chain))
    }

    /// Adds the next message.
    public mutating func append(_ message: TranscriptMessage) {
        digest = chain(digest, message.chain, index: messages.count)
        messages.append(message)
    }

    private func chain(_ digest: [UInt8], _ bytes: [UInt8], index: Int) -> [UInt8] {
        let h: HashAlgorithm = index < fixedHashMessageCount ? .sha256 : hash
        return index == 0 ? h.digest(bytes) : h.digest(bytes, digest)
    }

    /// What the prf takes before the role byte in `form`: h_n, or the messages themselves.
    private func proofInput(_ form: TranscriptForm) -> [UInt8] {
        if form == .standard { return digest }
        let covered = messages.map { $0.bytes(form.coverage) }
        guard form.hashChain else { return covered.flatMap { $0 } }
        var result: [UInt8] = []
        for (index, bytes) in covered.enumerated() { result = chain(result, bytes, index: index) }
        return result
    }

    /// Auth1 (initiator, in #5): prf(SKEYID, h_n || 0x01) in the standard form.
    public func initiatorProof(skeyid: SecretBytes, form: TranscriptForm = .standard) -> [UInt8] {
        hash.hmac(key: skeyid, proofInput(form), [0x01])
    }

    /// Auth2 (responder, in #6): prf(SKEYID, h_n || 0x02) in the standard form.
    public func responderProof(skeyid: SecretBytes, form: TranscriptForm = .standard) -> [UInt8] {
        hash.hmac(key: skeyid, proofInput(form), [0x02])
    }

    /// Auth3 (EM initiator): prf(SKEYID_em, H_em || Auth1).
    public func extendedInitiatorProof(skeyidEM: SecretBytes, auth1: [UInt8]) -> [UInt8] {
        hash.hmac(key: skeyidEM, digest, auth1)
    }

    /// Auth4 (EM responder): prf(SKEYID_em, H_em || Auth2).
    public func extendedResponderProof(skeyidEM: SecretBytes, auth2: [UInt8]) -> [UInt8] {
        hash.hmac(key: skeyidEM, digest, auth2)
    }
}
