import AuthIPJSON
import AuthIPTestSupport
import AuthIPWire
import Testing

/// Whether every member of `expected` is in `actual` with an equal value (recursively for
/// objects; arrays compare element-wise as subsets of objects).
func jsonContains(_ actual: JSONValue, _ expected: JSONValue) -> Bool {
    switch (actual, expected) {
    case (.object, .object(let members)):
        return members.allSatisfy { key, value in actual[key].map { jsonContains($0, value) } ?? false }
    case (.array(let a), .array(let e)):
        return a.count == e.count && zip(a, e).allSatisfy { jsonContains($0, $1) }
    default:
        return actual == expected
    }
}

@Suite("Wire format against hand-built vectors")
struct PayloadVectorTests {
    @Test("Every payload vector decodes to the expected fields and re-serializes byte for byte")
    func payloadVectors() throws {
        let vectors = try TestVectors.vectors("wire/payloads.json")
        #expect(vectors.count >= 30)
        var typesSeen = Set<UInt8>()
        for v in vectors {
            let bytes = try v.hex("hex")
            let message = try Message(parsing: bytes)
            #expect(message.serialized() == bytes, "\(v.name)")
            let payloads = message.json["payloads"]?.arrayValue ?? []
            let index = try v.int("payloadIndex")
            try #require(index < payloads.count, "\(v.name)")
            let expected = try #require(v["expect"])
            #expect(jsonContains(payloads[index], expected), "\(v.name): \(payloads[index].compactText)")
            #expect(message.json["length"]?.integerValue == Int64(bytes.count))
            message.payloads.forEach { typesSeen.insert($0.type.rawValue) }
        }
        // Every payload type AuthIP uses appears in some vector.
        let required: [PayloadType] = [
            .securityAssociation, .keyExchange, .identification, .hash, .nonce, .notify, .vendorID,
            .natDiscovery, .natOriginalAddress, .gss, .fragment, .crypto, .gssIdentity, .auth,
            .keyDictation, .keyDictationWeight,
        ]
        #expect(required.allSatisfy { typesSeen.contains($0.rawValue) })
    }

    @Test("Every malformed vector fails with its error kind at its offset")
    func malformedVectors() throws {
        let vectors = try TestVectors.vectors("wire/malformed.json")
        #expect(vectors.count >= 25)
        for v in vectors {
            let bytes = try v.hex("hex")
            do {
                let message = try Message(parsing: bytes)
                Issue.record("\(v.name) parsed: \(message)")
            } catch {
                #expect(error.kindName == (try v.string("error")), "\(v.name): \(error)")
                #expect(error.offset == (try v.int("offset")), "\(v.name): \(error)")
            }
        }
    }

    @Test("Every prefix and every single-byte change of every vector parses or fails with a typed error")
    func mutationsNeverTrap() throws {
        for v in try TestVectors.vectors("wire/payloads.json") {
            let bytes = try v.hex("hex")
            for cut in 0..<bytes.count {
                #expect(throws: WireError.self) { try Message(parsing: Array(bytes.prefix(cut))) }
            }
            for index in bytes.indices {
                for delta: UInt8 in [1, 0x80, 0xFF] {
                    var mutated = bytes
                    mutated[index] &+= delta
                    if let message = try? Message(parsing: mutated) {
                        // Whatever parses must survive a round trip as a model.
                        #expect(try Message(parsing: message.serialized()) == message, "\(v.name) byte \(index)")
                    }
                }
            }
        }
    }
}

@Suite("Message structure")
struct MessageStructureTests {
    let header = ISAKMPHeader(initiatorCookie: 0x0102030405060708, responderCookie: 0, exchangeType: .mainMode)

    @Test("Built messages serialize with computed next-payload fields and lengths, and parse back")
    func buildAndParse() throws {
        let message = Message(
            header: header,
            payloads: [
                .crypto(CryptoPayload(sequenceNumber: 0)),
                .securityAssociation(
                    SecurityAssociationPayload(proposals: [
                        Proposal(
                            number: 1, protocolID: .isakmp,
                            transforms: [
                                Transform(
                                    number: 1, transformID: Transform.keyIKE,
                                    attributes: [
                                        .basic(MainModeAttribute.encryptionAlgorithm, 7),
                                        .basic(MainModeAttribute.keyLength, 256),
                                        .basic(MainModeAttribute.hashAlgorithm, 4),
                                        .basic(MainModeAttribute.groupDescription, 0),
                                    ])
                            ])
                    ])),
                .auth(AuthPayload(methods: [.tls, .kerberos])),
                .nonce(NoncePayload(data: [UInt8](repeating: 0xAB, count: 32))),
                .vendorID(VendorIDPayload(.microsoftWindows(version: 9))),
                .vendorID(VendorIDPayload(.fragmentation)),
                .gssIdentity(GSSIdentityPayload(principalName: "DASERVER$@CORP.CONTOSO.COM")),
            ])
        let bytes = message.serialized()
        #expect(bytes[16] == PayloadType.crypto.rawValue)
        #expect(bytes[28] == PayloadType.securityAssociation.rawValue)
        #expect(Array(bytes[24..<28]) == [0, 0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)])
        let parsed = try Message(parsing: bytes)
        #expect(parsed == message)
        #expect(parsed.clearPayloads.count == 6)
        guard case .auth(let auth) = parsed.payloads[2] else { Issue.record("no Auth payload"); return }
        #expect(auth.methods == [.tls, .kerberos])
        guard case .vendorID(let vid) = parsed.payloads[4] else { Issue.record("no VID"); return }
        #expect(vid.knownVendor == .microsoftWindows(version: 9))
    }

    @Test("A chain longer than the payload limit is refused")
    func tooManyPayloads() {
        let payloads: [Payload] =
            [.crypto(CryptoPayload(sequenceNumber: 0))]
            + Array(repeating: .vendorID(VendorIDPayload(.gssapi)), count: PayloadChain.maximumPayloads)
        let bytes = Message(header: header, payloads: payloads).serialized()
        #expect(throws: WireError.self) { try Message(parsing: bytes) }
        do { _ = try Message(parsing: bytes) } catch { #expect(error.kindName == "tooManyPayloads") }
        // One fewer is fine.
        #expect(throws: Never.self) {
            try Message(parsing: Message(header: header, payloads: Array(payloads.dropLast())).serialized())
        }
    }

    @Test("Payload chains parse and serialize on their own, as the Crypto payload's plaintext")
    func chains() throws {
        let payloads: [Payload] = [
            .hash(HashPayload(data: [UInt8](repeating: 1, count: 20))),
            .identification(IdentificationPayload(identity: .ipv6Prefix(IPv6Address("2001:db8:1::")!, length: 48))),
            .identification(
                IdentificationPayload(identity: .ipv4Address(IPv4Address(10, 0, 0, 1)), ipProtocol: 17, port: 53)),
            .notify(.quickModeSynchronize),
        ]
        let (first, bytes) = PayloadChain.serialize(payloads)
        #expect(first == .hash)
        #expect(try PayloadChain.parse(bytes, first: first) == payloads)
        #expect(throws: WireError.self) { try PayloadChain.parse(bytes + [0], first: first) }
        #expect(try PayloadChain.parse([], first: .none).isEmpty)
    }

    @Test("Notify constructors produce what the typed reader reads")
    func notifyContent() throws {
        #expect(NotifyPayload.status(code: 13905).content == .status(code: 13905))
        #expect(NotifyPayload.status(code: 13905).flags == .reliable)
        #expect(NotifyPayload.acknowledgement(of: 9).content == .acknowledgement(sequenceNumber: 9))
        #expect(NotifyPayload.dosCookie(0xA1A2A3A4A5A6A7A8).content == .dosCookie(0xA1A2A3A4A5A6A7A8))
        #expect(
            NotifyPayload.acquire(encapsulationMode: 1, flags: 2).content == .acquire(encapsulationMode: 1, flags: 2))
        #expect(NotifyPayload.exchangeInfo([.guaranteeEncryption]).content == .exchangeInfo([.guaranteeEncryption]))
        #expect(NotifyPayload.quickModeSynchronize.content == .quickModeSynchronize)
        let message = Message(
            header: ISAKMPHeader(initiatorCookie: 1, exchangeType: .mainMode), payloads: [.notify(.dosCookie(7))])
        #expect(try Message(parsing: message.serialized()) == message)
    }

    @Test("The decoder's text dump names the exchange, the payloads and their fields")
    func textDump() throws {
        let v = try #require(try TestVectors.vectors("wire/payloads.json").first { $0.name == "auth" })
        let text = try Message(parsing: try v.hex("hex")).textDump
        #expect(text.contains("MM (243)"))
        #expect(text.contains("Auth (135)"))
        #expect(text.contains("methodNames: TLS, NTLM"))
        #expect(text.contains("0102030405060708 / 1112131415161718"))
    }
}

@Suite("IP addresses and traffic identities")
struct AddressTests {
    @Test(
        "IPv6 text follows RFC 5952 and parses back",
        arguments: [
            ("2001:db8::1", "2001:db8::1"), ("2001:0DB8:0:0:0:0:0:1", "2001:db8::1"), ("::", "::"), ("::1", "::1"),
            ("2002:836b:2::836b:2", "2002:836b:2::836b:2"), ("fe80::5efe:10.0.0.1", "fe80::5efe:a00:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
        ])
    func ipv6Text(input: String, canonical: String) throws {
        let address = try #require(IPv6Address(input))
        #expect(address.description == canonical)
        #expect(IPv6Address(canonical) == address)
    }

    @Test(
        "Malformed address text is refused",
        arguments: ["", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1.2.3", "256.1.1.1", "::g", "1:2:3:4:5:6:7"])
    func badText(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test("Prefix selectors mask the host bits and print as prefixes")
    func prefixes() throws {
        #expect(TrafficIdentity.ipv4Prefix(IPv4Address("10.1.2.3")!, length: 16).description == "10.1.0.0/16")
        #expect(
            TrafficIdentity.ipv6Prefix(IPv6Address("fd03:b402:e10c:7777::1")!, length: 96).description
                == "fd03:b402:e10c:7777::/96")
        #expect(TrafficIdentity.ipv6Prefix(IPv6Address("2001:db8::1")!, length: 128).description == "2001:db8::1/128")
        #expect(
            TrafficIdentity.ipv4Subnet(IPv4Address(10, 0, 0, 0), mask: IPv4Address(255, 0, 255, 0)).description
                == "10.0.0.0/255.0.255.0")
    }

    @Test("Hex decoding accepts spacing and 0x, refuses odd digits and other text")
    func hex() {
        #expect(Hex.decode("0x0a 0B\n0c") == [0x0A, 0x0B, 0x0C])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.encode([0, 255]) == "00ff")
        #expect(Hex.cookie(0xAB) == "00000000000000ab")
    }
}
