import AuthIP
import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

/// A hand-made AuthIP initiator that drives a responder `Endpoint` directly, one message at a
/// time, and does what a well-behaved peer never does: it derives its Main Mode keys and sends
/// its proof (#5, Auth1) as soon as its own NTLM context is complete, without waiting for the
/// responder's answer. It runs NTLM in Main Mode over ECDH (AES-256, SHA-256, group 19, the
/// first Windows default proposal), with public pieces only: the wire format, the key
/// schedule, an NTLM initiator context.
struct HostileInitiator {
    var responder: Endpoint
    let local: EndpointAddress
    let remote: EndpointAddress
    var now: Date
    /// Every output of the responder so far.
    private(set) var outputs: [EndpointOutput] = []
    private var random = SeededRandomSource(seed: 0xBAD)
    private let keyPair: DiffieHellmanKeyPair
    private let nonce: [UInt8]
    private var initiatorCookie: UInt64 = 0x0BAD_C0DE_0BAD_C0DE
    private var responderCookie: UInt64 = 0
    private var responderNonce: [UInt8] = []
    private var sharedSecret = SecretBytes.empty
    private var transcript = AuthenticationTranscript.mainMode(hash: .sha256)
    private var ntlm: NTLMInitiatorContext
    private var sequence: UInt32 = 0
    static let algorithms = MainModeAlgorithms(cipher: .aes256, hash: .sha256)

    /// A hostile initiator at `local` with these NTLM credentials, against `responder` at `remote`.
    init(
        responder: Endpoint, local: EndpointAddress, remote: EndpointAddress, credentials: NTLMCredentials, now: Date,
        initiatorCookie: UInt64 = 0x0BAD_C0DE_0BAD_C0DE
    ) throws {
        self.responder = responder
        self.initiatorCookie = initiatorCookie
        self.local = local
        self.remote = remote
        self.now = now
        ntlm = NTLMInitiatorContext(credentials: credentials)
        var random = SeededRandomSource(seed: 0xBAD)
        keyPair = try DiffieHellmanKeyPair(group: .ecp256, random: &random)
        nonce = random.bytes(32)
    }

    /// Hands the responder a datagram; returns what it sends back to this initiator.
    @discardableResult
    mutating func deliver(_ datagram: [UInt8]) -> [[UInt8]] {
        handle(.datagram(datagram, from: local, to: remote))
    }

    /// Any other input to the responder; returns what it sends this initiator.
    @discardableResult
    mutating func handle(_ input: EndpointInput) -> [[UInt8]] {
        let produced = responder.handle(input, now: now)
        outputs += produced
        return produced.compactMap {
            if case .send(let bytes, _, let to) = $0, to.ip == local.ip { return bytes } else { return nil }
        }
    }

    /// MM #1 and #2: a real initiator's #1 (`template`, from an endpoint with an NTLM rule and
    /// the default proposals) with this side's nonce and ECDH value.
    mutating func offer(template: [UInt8]) throws {
        let message = try Message(parsing: template)
        var payloads: [Payload] = []
        for payload in message.clearPayloads {
            switch payload {
            case .nonce: payloads.append(.nonce(NoncePayload(data: nonce)))
            case .keyExchange: payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue)))
            default: payloads.append(payload)
            }
        }
        let first = try request(exchange: .mainMode, payloads: payloads)
        let answer = try #require(deliver(first).first, "no MM #2")
        let second = try Message(parsing: answer)
        responderCookie = second.header.responderCookie
        responderNonce = try #require(
            second.clearPayloads.compactMap { if case .nonce(let n) = $0 { return n.data } else { return nil } }.first)
        if let ke = second.clearPayloads.compactMap({
            if case .keyExchange(let k) = $0 { return k.data } else { return nil }
        }).first {
            sharedSecret = try keyPair.sharedSecret(peerPublicValue: ke)
        }
        transcript.append(try Self.chain(answer))
    }

    /// The NTLM rounds, up to sending AUTHENTICATE; returns the responder's answers to it
    /// (none while it holds the step).
    mutating func authenticate() throws -> [[UInt8]] {
        let negotiate = try ntlm.step([], now: now, random: &random).token
        let challengeReply = try #require(
            deliver(
                try request(exchange: .mainMode, payloads: [.gss(GSSPayload(token: negotiate, flags: .newExchange))])
            ).first)
        transcript.append(try Self.chain(challengeReply))
        let challenge = try #require(
            try Message(parsing: challengeReply).clearPayloads.compactMap {
                if case .gss(let g) = $0 { return g.token } else { return nil }
            }.first)
        let authenticate = try ntlm.step(challenge, now: now, random: &random).token
        return deliver(try request(exchange: .mainMode, payloads: [.gss(GSSPayload(token: authenticate))]))
    }

    /// Starts NTLM over (NEW_GSS_EXCHANGE with RETRY_CURRENT_AUTHENTICATION) as another
    /// account, up to sending its AUTHENTICATE; returns the responder's answers to it.
    mutating func restart(as credentials: NTLMCredentials) throws -> [[UInt8]] {
        ntlm = NTLMInitiatorContext(credentials: credentials)
        let negotiate = try ntlm.step([], now: now, random: &random).token
        let flags: GSSFlags = [.newExchange, .retryCurrentAuthentication]
        let challengeReply = try #require(
            deliver(try request(exchange: .mainMode, payloads: [.gss(GSSPayload(token: negotiate, flags: flags))]))
                .first)
        transcript.append(try Self.chain(challengeReply))
        let challenge = try #require(Self.gssPayload(challengeReply)?.token)
        let authenticate = try ntlm.step(challenge, now: now, random: &random).token
        return deliver(try request(exchange: .mainMode, payloads: [.gss(GSSPayload(token: authenticate))]))
    }

    /// Adds an answer of the responder that came later (after a directory answer) to the
    /// transcript.
    mutating func received(_ answer: [UInt8]) throws { transcript.append(try Self.chain(answer)) }

    /// One GSS request of this side; returns the responder's answers.
    mutating func gss(_ payload: GSSPayload) throws -> [[UInt8]] {
        let answers = deliver(try request(exchange: .mainMode, payloads: [.gss(payload)]))
        for answer in answers { transcript.append(try Self.chain(answer)) }
        return answers
    }

    /// The GSS payload of a responder's answer.
    static func gssPayload(_ datagram: [UInt8]) -> GSSPayload? {
        (try? Message(parsing: datagram))?.clearPayloads.compactMap {
            if case .gss(let g) = $0 { return g } else { return nil }
        }.first
    }

    /// #5 with Auth1 computed now, over the transcript as it stands (the responder's answer to
    /// AUTHENTICATE not in it: it has not come).
    mutating func rushedProof() throws -> [UInt8] {
        let derivation = KeyDerivation(
            algorithms: Self.algorithms, initiatorCookie: initiatorCookie, responderCookie: responderCookie)
        let keys = MainModeKeys(
            derivation: derivation, z: sharedSecret, initiatorNonce: nonce, responderNonce: responderNonce,
            gssSecret: try #require(ntlm.sessionKey))
        let protection = CryptoPayloadProtection(algorithms: Self.algorithms, keys: keys, legacyICV: false)
        let header = ISAKMPHeader(
            initiatorCookie: initiatorCookie, responderCookie: responderCookie, exchangeType: .mainMode,
            flags: .encrypted, messageID: InteropProfile.firstQuickModeMessageID)
        defer { sequence += 1 }
        return try protection.seal(
            header: header, sequenceNumber: sequence,
            payloads: [
                .hash(HashPayload(data: transcript.initiatorProof(skeyid: keys.skeyid))),
                .identification(TrafficSelector(AddressRange(local.ip)).payload),
                .identification(TrafficSelector(AddressRange(remote.ip)).payload),
                .nonce(NoncePayload(data: random.bytes(32))),
            ], random: &random)
    }

    /// A clear request of this side, with its chain added to the transcript.
    private mutating func request(exchange: ExchangeType, payloads: [Payload]) throws -> [UInt8] {
        let header = ISAKMPHeader(
            initiatorCookie: initiatorCookie, responderCookie: responderCookie, exchangeType: exchange)
        let datagram = Message(header: header, payloads: [.crypto(CryptoPayload(sequenceNumber: sequence))] + payloads)
            .serialized()
        sequence += 1
        transcript.append(try Self.chain(datagram))
        return datagram
    }

    /// A clear message's payload chain after its Crypto payload: what the transcripts hash.
    static func chain(_ datagram: [UInt8]) throws -> [UInt8] {
        let crypto = try #require(try Message(parsing: datagram).crypto)
        return Array(datagram[(ISAKMPHeader.size + crypto.headerLength)...])
    }

    /// The audit events the responder wrote, by ID.
    func events(_ id: UInt16) -> [AuditEvent] {
        outputs.compactMap {
            if case .audit(let event) = $0, event.descriptor.eventID == id { return event } else { return nil }
        }
    }

    /// The account look-ups the responder asked for.
    var lookUps: [AccountQuery] {
        outputs.compactMap { if case .lookUpAccount(let query, _) = $0 { return query } else { return nil } }
    }
}
