import AuthIPCrypto
import AuthIPJSON
import AuthIPKeySchedule
import AuthIPWire
import Foundation

/// The message flows of MS-AIPS §3 (brief §3.1–3.4) as concrete, deterministic messages: an
/// infrastructure-tunnel style negotiation (TLS in MM, first QM, QM synchronize, NTLM in EM,
/// a later QM with PFS) and the Notify exchanges, with real keys, Auth1–Auth4 and sealed
/// messages. `TestVectors/wire/flows.json` is this catalog written out.
struct FlowCatalog {
    struct Step {
        var flow: String
        var step: String
        var direction: String
        var message: Message
        /// For encrypted messages: the inner payloads and the IV they were sealed with.
        var inner: [Payload]?
        var iv: [UInt8]?
        var wire: [UInt8]
    }

    let initiatorCookie: UInt64 = 0x5EED_0000_0000_0001
    let responderCookie: UInt64 = 0x5EED_0000_0000_0002
    let algorithms = MainModeAlgorithms(cipher: .aes256, hash: .sha256)
    let gssSecret = SecretBytes([UInt8](repeating: 0x11, count: 32))
    let gssSecretEM = SecretBytes([UInt8](repeating: 0x22, count: 16))
    var random = SeededRandomSource(seed: 0xA17B)
    private(set) var steps: [Step] = []
    private(set) var keys: MainModeKeys?
    private(set) var skeyidEM: SecretBytes?
    private(set) var proofs: [String: [UInt8]] = [:]

    init() throws {
        try build()
    }

    private func header(_ type: ExchangeType, messageID: UInt32 = 0, responder: Bool = true) -> ISAKMPHeader {
        ISAKMPHeader(
            initiatorCookie: initiatorCookie, responderCookie: responder ? responderCookie : 0,
            exchangeType: type, messageID: messageID)
    }

    private mutating func clear(
        _ flow: String, _ step: String, _ direction: String, _ header: ISAKMPHeader,
        sequence: UInt32, iv: [UInt8] = [], _ payloads: [Payload]
    ) {
        let message = Message(
            header: header, payloads: [.crypto(CryptoPayload(sequenceNumber: sequence, iv: iv))] + payloads)
        steps.append(Step(flow: flow, step: step, direction: direction, message: message, wire: message.serialized()))
    }

    private mutating func sealed(
        _ flow: String, _ step: String, _ direction: String, _ header: ISAKMPHeader,
        sequence: UInt32, _ payloads: [Payload], protection: CryptoPayloadProtection
    ) throws {
        let iv = random.bytes(algorithms.cipher.blockSize)
        let wire = try protection.seal(header: header, sequenceNumber: sequence, iv: iv, payloads: payloads)
        steps.append(
            Step(
                flow: flow, step: step, direction: direction, message: try Message(parsing: wire),
                inner: payloads, iv: iv, wire: wire))
    }

    static let mainModeSA = SecurityAssociationPayload(proposals: [
        Proposal(
            number: 1, protocolID: .isakmp,
            transforms: [
                Transform(
                    number: 1, transformID: Transform.keyIKE,
                    attributes: [
                        .basic(MainModeAttribute.encryptionAlgorithm, 7), .basic(MainModeAttribute.keyLength, 256),
                        .basic(MainModeAttribute.hashAlgorithm, 4), .basic(MainModeAttribute.groupDescription, 0),
                        .basic(MainModeAttribute.lifeType, 1),
                        TransformAttribute(type: MainModeAttribute.lifeDuration, value: .variable([0, 0, 0x70, 0x80])),
                    ]),
                Transform(
                    number: 2, transformID: Transform.keyIKE,
                    attributes: [
                        .basic(MainModeAttribute.encryptionAlgorithm, 7), .basic(MainModeAttribute.keyLength, 128),
                        .basic(MainModeAttribute.hashAlgorithm, 2), .basic(MainModeAttribute.groupDescription, 0),
                    ]),
            ])
    ])

    static func quickModeSA(spi: UInt32) -> SecurityAssociationPayload {
        SecurityAssociationPayload(proposals: [
            Proposal(
                number: 1, protocolID: .esp,
                spi: [UInt8(spi >> 24), UInt8(spi >> 16 & 0xFF), UInt8(spi >> 8 & 0xFF), UInt8(spi & 0xFF)],
                transforms: [
                    Transform(
                        number: 1, transformID: 12,
                        attributes: [
                            .basic(QuickModeAttribute.encapsulationMode, EncapsulationMode.tunnel),
                            .basic(QuickModeAttribute.authenticationAlgorithm, 2),
                            .basic(QuickModeAttribute.keyLength, 192),
                            .basic(QuickModeAttribute.lifeType, 1), .basic(QuickModeAttribute.lifeDuration, 3600),
                        ])
                ])
        ])
    }

    static let client = IdentificationPayload(identity: .ipv6Address(IPv6Address("2001:db8:c::7")!))
    static let intranetDNS = IdentificationPayload(identity: .ipv6Prefix(IPv6Address("fd00:da::")!, length: 64))

    private mutating func build() throws {
        let vids: [Payload] = [
            .vendorID(VendorIDPayload(.microsoftWindows(version: 9))), .vendorID(VendorIDPayload(.fragmentation)),
            .vendorID(VendorIDPayload(.negotiationDiscovery)),
        ]
        let ni = random.bytes(32), nr = random.bytes(32), niQM = random.bytes(32), nrQM = random.bytes(32)
        let mm = "main-mode"
        clear(
            mm, "#1", "I->R", header(.mainMode, responder: false), sequence: 0,
            [
                .securityAssociation(Self.mainModeSA), .auth(AuthPayload(methods: [.tls])),
                .nonce(NoncePayload(data: ni)),
            ] + vids)
        clear(
            mm, "#2", "R->I", header(.mainMode), sequence: 0,
            [
                .securityAssociation(
                    SecurityAssociationPayload(proposals: [
                        Proposal(
                            number: 1, protocolID: .isakmp, transforms: [Self.mainModeSA.proposals[0].transforms[0]])
                    ])),
                .auth(AuthPayload(methods: [.tls])), .nonce(NoncePayload(data: nr)), .nonce(NoncePayload(data: nrQM)),
            ] + vids
                + [.gssIdentity(GSSIdentityPayload(principalName: "DASERVER$@CORP.CONTOSO.COM"))])
        clear(
            mm, "#3", "I->R", header(.mainMode), sequence: 1,
            [.gss(GSSPayload(token: [0x16, 0x03, 0x03, 0x00, 0x04] + random.bytes(4), flags: .newExchange))])
        clear(
            mm, "#4", "R->I", header(.mainMode), sequence: 1,
            iv: random.bytes(InteropProfile.clearCryptoPayloadIVLength),
            [.gss(GSSPayload(token: [0x16, 0x03, 0x03, 0x00, 0x06] + random.bytes(6), flags: .responderAuthComplete))])

        let derivation = KeyDerivation(
            algorithms: algorithms, initiatorCookie: initiatorCookie, responderCookie: responderCookie)
        let keys = MainModeKeys(
            derivation: derivation, z: .empty, initiatorNonce: ni, responderNonce: nr, gssSecret: gssSecret)
        self.keys = keys
        let protection = CryptoPayloadProtection(algorithms: algorithms, keys: keys, legacyICV: false)
        var transcript = AuthenticationTranscript.mainMode(hash: algorithms.hash)
        for step in steps { transcript.append(payloads: step.message.payloads) }
        let auth1 = transcript.initiatorProof(skeyid: keys.skeyid),
            auth2 = transcript.responderProof(skeyid: keys.skeyid)
        proofs["auth1"] = auth1
        proofs["auth2"] = auth2
        let qm0 = InteropProfile.firstQuickModeMessageID
        try sealed(
            mm, "#5", "I->R", header(.mainMode, messageID: qm0), sequence: 2,
            [
                .hash(HashPayload(data: auth1)), .identification(Self.client), .identification(Self.intranetDNS),
                .securityAssociation(Self.quickModeSA(spi: 0x1000_0001)), .nonce(NoncePayload(data: niQM)),
            ], protection: protection)
        try sealed(
            mm, "#6", "R->I", header(.mainMode, messageID: qm0), sequence: 2,
            [
                .hash(HashPayload(data: auth2)), .identification(Self.client), .identification(Self.intranetDNS),
                .securityAssociation(Self.quickModeSA(spi: 0x2000_0002)),
            ], protection: protection)

        let sync = "quick-mode-synchronize"
        // QM synchronize carries the message ID of the Quick Mode it completes.
        let syncID = qm0
        try sealed(
            sync, "#7", "I->R", header(.quickMode, messageID: syncID), sequence: 0, [.notify(.quickModeSynchronize)],
            protection: protection)
        try sealed(
            sync, "#8", "R->I", header(.quickMode, messageID: syncID), sequence: 0, [.notify(.quickModeSynchronize)],
            protection: protection)

        let em = "extended-mode"
        let emID = InteropProfile.extendedModeMessageID
        var emSteps: [[Payload]] = [
            [.auth(AuthPayload(methods: [.ntlm]))],
            [
                .auth(AuthPayload(methods: [.ntlm])),
                .gssIdentity(GSSIdentityPayload(principalName: "DASERVER$@CORP.CONTOSO.COM")),
            ],
            [.gss(GSSPayload(token: Array("NTLMSSP\0".utf8) + [1, 0, 0, 0] + random.bytes(28), flags: .newExchange))],
            [.gss(GSSPayload(token: Array("NTLMSSP\0".utf8) + [2, 0, 0, 0] + random.bytes(48)))],
            [.gss(GSSPayload(token: Array("NTLMSSP\0".utf8) + [3, 0, 0, 0] + random.bytes(80)))],
            [.gss(GSSPayload(token: [], flags: .responderAuthComplete))],
        ]
        var emTranscript = AuthenticationTranscript.extendedMode(hash: algorithms.hash)
        for (index, payloads) in emSteps.enumerated() {
            emTranscript.append(payloads: payloads)
            try sealed(
                em, "#\(index + 7)", index % 2 == 0 ? "I->R" : "R->I", header(.extendedMode, messageID: emID),
                sequence: UInt32(index / 2), payloads, protection: protection)
        }
        let skeyidEM = MainModeKeys.extendedModeKey(
            derivation: derivation, z: .empty, initiatorNonce: ni, responderNonce: nr, gssSecret: gssSecretEM)
        self.skeyidEM = skeyidEM
        let auth3 = emTranscript.extendedInitiatorProof(skeyidEM: skeyidEM, auth1: auth1)
        let auth4 = emTranscript.extendedResponderProof(skeyidEM: skeyidEM, auth2: auth2)
        proofs["auth3"] = auth3
        proofs["auth4"] = auth4
        emSteps = [[.hash(HashPayload(data: auth3))], [.hash(HashPayload(data: auth4))]]
        try sealed(
            em, "#13", "I->R", header(.extendedMode, messageID: emID), sequence: 3, emSteps[0], protection: protection)
        try sealed(
            em, "#14", "R->I", header(.extendedMode, messageID: emID), sequence: 3, emSteps[1], protection: protection)

        let rekey = "quick-mode-rekey"
        let rekeyID: UInt32 = 0x0BAD_F00D
        var pfsRandom = random
        let pfsI = try DiffieHellmanKeyPair(group: .ecp256, random: &pfsRandom)
        let pfsR = try DiffieHellmanKeyPair(group: .ecp256, random: &pfsRandom)
        random = pfsRandom
        try sealed(
            rekey, "#1", "I->R", header(.quickMode, messageID: rekeyID), sequence: 1,
            [
                .hash(HashPayload(data: auth1)), .identification(Self.client), .identification(Self.intranetDNS),
                .securityAssociation(Self.quickModeSA(spi: 0x1000_0003)), .nonce(NoncePayload(data: random.bytes(32))),
                .keyExchange(KeyExchangePayload(data: pfsI.publicValue)),
            ], protection: protection)
        try sealed(
            rekey, "#2", "R->I", header(.quickMode, messageID: rekeyID), sequence: 1,
            [
                .hash(HashPayload(data: auth2)), .identification(Self.client), .identification(Self.intranetDNS),
                .securityAssociation(Self.quickModeSA(spi: 0x2000_0004)), .nonce(NoncePayload(data: random.bytes(32))),
                .keyExchange(KeyExchangePayload(data: pfsR.publicValue)),
            ], protection: protection)

        let notify = "notify"
        try sealed(
            notify, "status", "R->I", header(.notify, messageID: 0x5151_0001), sequence: 0,
            [.notify(.status(code: 13905))], protection: protection)
        try sealed(
            notify, "status-ack", "I->R", header(.notify, messageID: 0x5151_0001), sequence: 0,
            [.notify(.acknowledgement(of: 0))], protection: protection)
        try sealed(
            notify, "acquire", "I->R", header(.notify, messageID: 0x5151_0002), sequence: 1,
            [
                .notify(.acquire(encapsulationMode: UInt32(EncapsulationMode.tunnel), flags: 0)),
                .identification(Self.client), .identification(Self.intranetDNS),
            ], protection: protection)
        try sealed(
            notify, "acquire-ack", "R->I", header(.notify, messageID: 0x5151_0002), sequence: 1,
            [.notify(.acknowledgement(of: 1))], protection: protection)
        let dos = Message(
            header: ISAKMPHeader(initiatorCookie: initiatorCookie, exchangeType: .mainMode),
            payloads: [.notify(.dosCookie(0xC00C_1E00_0000_0042))])
        steps.append(Step(flow: notify, step: "dos-cookie", direction: "R->I", message: dos, wire: dos.serialized()))

        // MM with NTLM needs DH: KE and, between IPv4 peers, NAT-D.
        let ntlm = "main-mode-ntlm-dh"
        var dhRandom = random
        let dh = try DiffieHellmanKeyPair(group: .modp2048, random: &dhRandom)
        random = dhRandom
        clear(
            ntlm, "#1", "I->R", header(.mainMode, responder: false), sequence: 0,
            [
                .securityAssociation(
                    SecurityAssociationPayload(proposals: [
                        Proposal(
                            number: 1, protocolID: .isakmp,
                            transforms: [
                                Transform(
                                    number: 1, transformID: Transform.keyIKE,
                                    attributes: [
                                        .basic(MainModeAttribute.encryptionAlgorithm, 7),
                                        .basic(MainModeAttribute.keyLength, 128),
                                        .basic(MainModeAttribute.hashAlgorithm, 2),
                                        .basic(MainModeAttribute.groupDescription, 14),
                                    ])
                            ])
                    ])),
                .auth(AuthPayload(methods: [.ntlm, .anonymous])), .nonce(NoncePayload(data: random.bytes(16))),
                .vendorID(VendorIDPayload(.microsoftWindows(version: 9))), .vendorID(VendorIDPayload(.rfc3947)),
                .natDiscovery(NATDiscoveryPayload(data: random.bytes(32))),
                .natDiscovery(NATDiscoveryPayload(data: random.bytes(32))),
                .keyExchange(KeyExchangePayload(data: dh.publicValue)),
            ])
    }

    /// The catalog as the JSON of `TestVectors/wire/flows.json`.
    var json: JSONValue {
        guard let keys, let skeyidEM else { return .null }
        return .object([
            (
                "description",
                .string(
                    "The message flows of MS-AIPS §3 as concrete messages. Clear messages: hex and their decoding. "
                        + "Encrypted ones also give the inner payloads (plaintext chain and decoding) and the IV; the keys open them. "
                        + "auth1/auth2 are over the plaintext chains of MM #1-#4, auth3/auth4 over EM #7-#12 (Docs/InteropProfile.md)."
                )
            ),
            ("source", .string("Tests/AuthIPCryptoTests/FlowCatalog.swift (seeded, deterministic)")),
            (
                "keys",
                .object([
                    ("cipher", .string(algorithms.cipher.rawValue)), ("hash", .string(algorithms.hash.rawValue)),
                    ("initiatorCookie", .string(Hex.cookie(initiatorCookie))),
                    ("responderCookie", .string(Hex.cookie(responderCookie))),
                    ("gssSecret", .string(Hex.encode(gssSecret.bytes))),
                    ("gssSecretEM", .string(Hex.encode(gssSecretEM.bytes))),
                    ("skeyid", .string(Hex.encode(keys.skeyid.bytes))),
                    ("skeyidA", .string(Hex.encode(keys.skeyidA.bytes))),
                    ("encryptionKey", .string(Hex.encode(keys.encryptionKey.bytes))),
                    ("skeyidEM", .string(Hex.encode(skeyidEM.bytes))),
                    ("auth1", .string(Hex.encode(proofs["auth1"] ?? []))),
                    ("auth2", .string(Hex.encode(proofs["auth2"] ?? []))),
                    ("auth3", .string(Hex.encode(proofs["auth3"] ?? []))),
                    ("auth4", .string(Hex.encode(proofs["auth4"] ?? []))),
                ])
            ),
            (
                "vectors",
                .array(
                    steps.map { step in
                        var fields: [(String, JSONValue)] = [
                            ("name", .string("\(step.flow) \(step.step)")), ("flow", .string(step.flow)),
                            ("step", .string(step.step)),
                            ("direction", .string(step.direction)), ("hex", .string(Hex.encode(step.wire))),
                            ("decoded", step.message.json),
                        ]
                        if let inner = step.inner, let iv = step.iv {
                            let (first, chain) = PayloadChain.serialize(inner)
                            fields.append(("iv", .string(Hex.encode(iv))))
                            fields.append(("firstPayload", .number(first.rawValue)))
                            fields.append(("plaintext", .string(Hex.encode(chain))))
                            fields.append(("inner", .array(inner.map(\.json))))
                        }
                        return .object(fields)
                    })
            ),
        ])
    }
}
