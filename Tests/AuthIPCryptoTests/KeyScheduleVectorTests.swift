import AuthIPCrypto
import AuthIPJSON
import AuthIPKeySchedule
import AuthIPTestSupport
import AuthIPWire
import Testing

/// Maps the vector files' algorithm names to ours.
enum VectorNames {
    static func cipher(_ name: String) -> BlockCipher? {
        ["des": .des, "3des": .tripleDES, "aes128": .aes128, "aes192": .aes192, "aes256": .aes256][name]
    }

    static func ipsecIntegrityKeyLength(_ name: String) -> Int? {
        ["hmac-md5-96": 16, "hmac-sha1-96": 20, "hmac-sha-256-128": 32, "hmac-sha256-128": 32, "none": 0][name]
    }

    static func ipsecEncryptionKeyLength(_ name: String) -> Int? {
        ["null": 0, "des": 8, "3des": 24, "aes128": 16, "aes192": 24, "aes256": 32][name]
    }

    static func cookie(_ v: JSONValue, _ key: String) throws -> UInt64 {
        try v.hex(key).reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func u32(_ v: JSONValue, _ key: String) throws -> UInt32 {
        try v.hex(key).reduce(0) { $0 << 8 | UInt32($1) }
    }
}

@Suite("Key schedule against the independent Python reference")
struct KeyScheduleVectorTests {
    @Test("SKEYID*, Auth1–Auth4 and QM keys match every key-schedule vector")
    func keySchedule() throws {
        let vectors = try TestVectors.vectors("crypto/key-schedule.json")
        #expect(vectors.count >= 6)
        for v in vectors {
            let hash = try #require(HashAlgorithm(rawValue: try v.string("hash")))
            let cipher = try #require(VectorNames.cipher(try v.string("cipher")))
            #expect(Int(cipher.cryptoID) == (try v.int("cryptoID")))
            let derivation = KeyDerivation(
                algorithms: MainModeAlgorithms(cipher: cipher, hash: hash),
                initiatorCookie: try VectorNames.cookie(v, "initiatorCookie"),
                responderCookie: try VectorNames.cookie(v, "responderCookie"))
            let z = SecretBytes(try v.hex("z"))
            let ni = try v.hex("ni"), nr = try v.hex("nr")
            let keys = MainModeKeys(
                derivation: derivation, z: z, initiatorNonce: ni, responderNonce: nr,
                gssSecret: SecretBytes(try v.hex("gssSecret")))
            #expect(keys.skeyid.bytes == (try v.hex("skeyid")), "\(v.name)")
            #expect(keys.skeyidD.bytes == (try v.hex("skeyidD")), "\(v.name)")
            #expect(keys.skeyidA.bytes == (try v.hex("skeyidA")), "\(v.name)")
            #expect(keys.skeyidE.bytes == (try v.hex("skeyidE")), "\(v.name)")
            #expect(keys.encryptionKey.bytes == (try v.hex("encryptionKey")), "\(v.name)")

            var transcript = AuthenticationTranscript.mainMode(hash: hash)
            for message in v["mainModeMessages"]?.arrayValue ?? [] {
                transcript.append(try #require(Hex.decode(message.stringValue ?? "?")))
            }
            let auth1 = transcript.initiatorProof(skeyid: keys.skeyid)
            let auth2 = transcript.responderProof(skeyid: keys.skeyid)
            #expect(auth1 == (try v.hex("auth1")), "\(v.name)")
            #expect(auth2 == (try v.hex("auth2")), "\(v.name)")

            var binding: QuickModeKeys.ExtendedModeBinding?
            if v["gssSecretEM"] != nil {
                let skeyidEM = MainModeKeys.extendedModeKey(
                    derivation: derivation, z: z, initiatorNonce: ni, responderNonce: nr,
                    gssSecret: SecretBytes(try v.hex("gssSecretEM")))
                #expect(skeyidEM.bytes == (try v.hex("skeyidEM")), "\(v.name)")
                var em = AuthenticationTranscript.extendedMode(hash: hash)
                for message in v["extendedModeMessages"]?.arrayValue ?? [] {
                    em.append(try #require(Hex.decode(message.stringValue ?? "?")))
                }
                #expect(
                    em.extendedInitiatorProof(skeyidEM: skeyidEM, auth1: auth1) == (try v.hex("auth3")), "\(v.name)")
                #expect(
                    em.extendedResponderProof(skeyidEM: skeyidEM, auth2: auth2) == (try v.hex("auth4")), "\(v.name)")
                binding = .init(initiatorNonce: ni, responderNonce: nr, skeyidEM: skeyidEM)
            }

            for qm in v["quickMode"]?.arrayValue ?? [] {
                let qmKeys = QuickModeKeys(
                    derivation: derivation, skeyidD: keys.skeyidD,
                    messageID: try VectorNames.u32(qm, "messageID"), spi: try VectorNames.u32(qm, "spi"),
                    initiatorNonce: try qm.hex("niQM"), responderNonce: try qm.hex("nrQM"),
                    pfsSecret: SecretBytes(try qm.hex("zQM")), extendedMode: binding,
                    integrityKeyLength: try #require(
                        VectorNames.ipsecIntegrityKeyLength(try qm.string("integrityAlgorithm"))),
                    encryptionKeyLength: try #require(
                        VectorNames.ipsecEncryptionKeyLength(try qm.string("encryptionAlgorithm"))))
                #expect(qmKeys.integrityKey.bytes == (try qm.hex("integrityKey")), "\(v.name)")
                #expect(qmKeys.encryptionKey.bytes == (try qm.hex("encryptionKey")), "\(v.name)")
            }
        }
    }

    @Test("Every input of the schedule changes SKEYID")
    func everyInputMatters() {
        let algorithms = MainModeAlgorithms(cipher: .aes128, hash: .sha256)
        func skeyid(
            i: UInt64 = 1, r: UInt64 = 2, z: [UInt8] = [], ni: [UInt8] = [1], nr: [UInt8] = [2], gss: [UInt8] = [3],
            cipher: BlockCipher = .aes128
        ) -> [UInt8] {
            MainModeKeys(
                derivation: KeyDerivation(
                    algorithms: MainModeAlgorithms(cipher: cipher, hash: algorithms.hash),
                    initiatorCookie: i, responderCookie: r),
                z: SecretBytes(z), initiatorNonce: ni, responderNonce: nr, gssSecret: SecretBytes(gss)
            ).skeyid.bytes
        }
        let base = skeyid()
        #expect(base.count == 32)
        for other in [
            skeyid(i: 9), skeyid(r: 9), skeyid(z: [9]), skeyid(ni: [9]), skeyid(nr: [9]), skeyid(gss: [9]),
            skeyid(cipher: .tripleDES),
        ] {
            #expect(other != base)
        }
    }

    @Test("DES and 3DES keys get odd parity in every byte")
    func desParity() {
        for cipher in [BlockCipher.des, .tripleDES] {
            let keys = MainModeKeys(
                derivation: KeyDerivation(
                    algorithms: MainModeAlgorithms(cipher: cipher, hash: .sha1),
                    initiatorCookie: 1, responderCookie: 2),
                z: .empty, initiatorNonce: [1], responderNonce: [2], gssSecret: SecretBytes([3]))
            #expect(keys.encryptionKey.count == cipher.keyLength)
            #expect(keys.encryptionKey.bytes.allSatisfy { $0.nonzeroBitCount % 2 == 1 })
            #expect(keys.skeyidE.count == max(20, cipher.keyLength))
        }
    }
}

@Suite("Crypto payload protection")
struct CryptoPayloadProtectionTests {
    struct Case {
        var vector: JSONValue
        var protection: CryptoPayloadProtection
        var header: ISAKMPHeader
    }

    static func cases() throws -> [Case] {
        try TestVectors.vectors("crypto/crypto-payload.json").map { v in
            let hash = try #require(HashAlgorithm(rawValue: try v.string("hash")))
            let cipher = try #require(VectorNames.cipher(try v.string("cipher")))
            let protection = CryptoPayloadProtection(
                algorithms: MainModeAlgorithms(cipher: cipher, hash: hash),
                encryptionKey: SecretBytes(try v.hex("encryptionKey")), integrityKey: SecretBytes(try v.hex("skeyidA")),
                legacyICV: v["legacyICV"]?.boolValue ?? false)
            let h = try #require(v["header"])
            let header = ISAKMPHeader(
                initiatorCookie: try VectorNames.cookie(h, "initiatorCookie"),
                responderCookie: try VectorNames.cookie(h, "responderCookie"),
                exchangeType: ExchangeType(rawValue: UInt8(try h.int("exchangeType"))),
                flags: HeaderFlags(rawValue: UInt8(try h.int("flags"))), messageID: try VectorNames.u32(h, "messageID"))
            return Case(vector: v, protection: protection, header: header)
        }
    }

    @Test("Sealing gives the reference's bytes and opening gives back the payloads")
    func vectors() throws {
        let cases = try Self.cases()
        #expect(cases.count >= 5)
        for c in cases {
            let v = c.vector
            let chain = try v.hex("innerPayloads")
            let first = PayloadType(rawValue: UInt8(try v.int("firstPayload")))
            let sealed = try c.protection.seal(
                header: c.header, sequenceNumber: UInt32(try v.int("sequenceNumber")),
                iv: try v.hex("iv"), firstPayload: first, chain: chain)
            #expect(sealed == (try v.hex("message")), "\(v.name)")
            let opened = try c.protection.open(try v.hex("message"))
            #expect(opened.plaintextChain == chain, "\(v.name)")
            #expect(opened.payloads == (try PayloadChain.parse(chain, first: first)))
            #expect(opened.header == c.header)
            // Sealing the parsed payloads again gives the same bytes.
            #expect(
                try c.protection.seal(
                    header: c.header, sequenceNumber: opened.sequenceNumber, iv: try v.hex("iv"),
                    payloads: opened.payloads) == sealed)
        }
    }

    @Test("Any flipped bit fails the integrity check or the framing, never opens")
    func tamperingIsDetected() throws {
        let c = try #require(try Self.cases().first)
        let message = try c.vector.hex("message")
        for index in 0..<message.count {
            var bad = message
            bad[index] ^= 0x01
            #expect(throws: (any Error).self, "byte \(index)") { try c.protection.open(bad) }
            do {
                _ = try c.protection.open(bad)
            } catch let error {
                // Only the header's framing fields may fail before the ICV check.
                if index >= 28 + 4 {
                    #expect(
                        [.integrityCheckFailed, .badLength].contains(error)
                            || { if case .malformed = error { true } else { false } }())
                }
            }
        }
    }

    @Test("Wrong keys, a wrong ICV length and a clear message are refused")
    func wrongKeys() throws {
        let c = try #require(try Self.cases().first)
        let message = try c.vector.hex("message")
        let algorithms = c.protection.algorithms
        let wrong = CryptoPayloadProtection(
            algorithms: algorithms,
            encryptionKey: SecretBytes([UInt8](repeating: 1, count: algorithms.cipher.keyLength)),
            integrityKey: SecretBytes([1]), legacyICV: false)
        #expect(throws: CryptoPayloadProtection.OpenError.integrityCheckFailed) { try wrong.open(message) }
        let clear = Message(
            header: ISAKMPHeader(initiatorCookie: 1, exchangeType: .mainMode),
            payloads: [
                .crypto(CryptoPayload(sequenceNumber: 0)), .nonce(NoncePayload(data: [1, 2, 3, 4, 5, 6, 7, 8])),
            ])
        #expect(throws: CryptoPayloadProtection.OpenError.notEncrypted) { try c.protection.open(clear.serialized()) }
        #expect(throws: CryptoPayloadProtection.OpenError.self) { try c.protection.open(Array(message.prefix(20))) }
    }

    @Test("Bad padding under a valid ICV is refused")
    func badPadding() throws {
        let algorithms = MainModeAlgorithms(cipher: .aes128, hash: .sha256)
        let key = SecretBytes([UInt8](repeating: 3, count: 16))
        let protection = CryptoPayloadProtection(
            algorithms: algorithms, encryptionKey: key, integrityKey: SecretBytes([4]), legacyICV: false)
        let header = ISAKMPHeader(initiatorCookie: 1, responderCookie: 2, exchangeType: .notify, flags: .encrypted)
        // A chain of 13 bytes needs one byte of padding; corrupt it by sealing a plaintext
        // whose "padding" is wrong: seal 14 bytes ending in 0x07 as if it were the chain.
        let sealed = try protection.seal(
            header: header, sequenceNumber: 0, iv: [UInt8](repeating: 9, count: 16),
            firstPayload: .hash, chain: [UInt8](repeating: 0xAA, count: 30))
        // The chain itself is garbage (a Hash header claiming 0xAAAA bytes): typed, not a crash.
        #expect(throws: (any Error).self) { try protection.open(sealed) }
        do { _ = try protection.open(sealed) } catch {
            guard case .malformedPlaintext = error else {
                Issue.record("expected malformedPlaintext, got \(error)")
                return
            }
        }
    }

    @Test("The ICV length follows the hash and the legacy Windows rule")
    func icvLengths() {
        #expect(CryptoPayloadProtection.icvLength(hash: .md5, legacyICV: false) == 12)
        #expect(CryptoPayloadProtection.icvLength(hash: .sha1, legacyICV: false) == 12)
        #expect(CryptoPayloadProtection.icvLength(hash: .sha256, legacyICV: false) == 16)
        #expect(CryptoPayloadProtection.icvLength(hash: .sha384, legacyICV: false) == 24)
        #expect(CryptoPayloadProtection.icvLength(hash: .sha384, legacyICV: true) == 12)
        #expect(KnownVendor.microsoftWindows(version: 7).forcesTwelveByteICV)
        #expect(!KnownVendor.microsoftWindows(version: 9).forcesTwelveByteICV)
    }

    @Test("A random IV is drawn from the given source")
    func randomIV() throws {
        let c = try #require(try Self.cases().first)
        var a = SeededRandomSource(seed: 5), b = SeededRandomSource(seed: 5)
        let payloads: [Payload] = [.hash(HashPayload(data: [UInt8](repeating: 1, count: 20)))]
        let one = try c.protection.seal(header: c.header, sequenceNumber: 3, payloads: payloads, random: &a)
        #expect(one == (try c.protection.seal(header: c.header, sequenceNumber: 3, payloads: payloads, random: &b)))
        #expect(try c.protection.open(one).payloads == payloads)
    }
}
