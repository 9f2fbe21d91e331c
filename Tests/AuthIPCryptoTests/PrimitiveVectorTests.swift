import AuthIPCrypto
import AuthIPJSON
import AuthIPTestSupport
import AuthIPWire
import Testing

@Suite("Crypto primitives against published vectors")
struct PrimitiveVectorTests {
    @Test("HMAC matches RFC 2202, RFC 4231 and RFC 4868")
    func hmacVectors() throws {
        let vectors = try TestVectors.vectors("crypto/hmac.json")
        #expect(vectors.count >= 28)
        for v in vectors {
            let algorithm = try #require(HashAlgorithm(rawValue: try v.string("algorithm")))
            let mac = algorithm.hmac(key: try v.hex("key"), try v.hex("data"))
            if v["mac"] != nil {
                #expect(mac == (try v.hex("mac")), "\(v.name)")
            }
            if v["truncatedMac"] != nil {
                let truncated = try v.hex("truncatedMac")
                #expect(Array(mac.prefix(truncated.count)) == truncated, "\(v.name)")
            }
        }
    }

    @Test("AES-CBC matches RFC 3602 and SP 800-38A, both ways")
    func aesVectors() throws {
        for v in try TestVectors.vectors("crypto/aes-cbc.json") {
            let key = try v.hex("key")
            let cipher: BlockCipher = key.count == 16 ? .aes128 : key.count == 24 ? .aes192 : .aes256
            let ciphertext = try cipher.encrypt(key: SecretBytes(key), iv: try v.hex("iv"), try v.hex("plaintext"))
            #expect(ciphertext == (try v.hex("ciphertext")), "\(v.name)")
            #expect(
                try cipher.decrypt(key: SecretBytes(key), iv: try v.hex("iv"), ciphertext) == (try v.hex("plaintext")))
        }
    }

    @Test("CBC refuses partial blocks and wrong key or IV lengths")
    func cbcRejectsBadLengths() {
        #expect(throws: CryptoError.invalidKeyLength) {
            try BlockCipher.aes128.encrypt(
                key: SecretBytes([UInt8](repeating: 1, count: 16)), iv: [UInt8](repeating: 0, count: 16), [1, 2, 3])
        }
        #expect(throws: CryptoError.invalidKeyLength) {
            try BlockCipher.aes256.encrypt(
                key: SecretBytes([UInt8](repeating: 1, count: 16)), iv: [UInt8](repeating: 0, count: 16), [])
        }
        #expect(throws: CryptoError.invalidKeyLength) {
            try BlockCipher.tripleDES.decrypt(
                key: SecretBytes([UInt8](repeating: 1, count: 24)), iv: [UInt8](repeating: 0, count: 16),
                [UInt8](repeating: 0, count: 8))
        }
    }

    @Test("3DES and single DES (legacy provider) round-trip")
    func desRoundTrip() throws {
        #expect(OpenSSLProviders.load(), "the legacy provider (MD4, RC4, DES) did not load")
        let block = [UInt8](0..<32)
        for cipher in [BlockCipher.tripleDES, .des] {
            let key = SecretBytes([UInt8](repeating: 0x5B, count: cipher.keyLength))
            let iv = [UInt8](repeating: 7, count: cipher.blockSize)
            let sealed = try cipher.encrypt(key: key, iv: iv, block)
            #expect(sealed != block)
            #expect(try cipher.decrypt(key: key, iv: iv, sealed) == block)
        }
    }

    @Test("ECP DH matches RFC 5903 for groups 19 and 20, both sides")
    func ecpVectors() throws {
        let file = try TestVectors.load("crypto/ecp-dh.json")
        for v in file["vectors"]?.arrayValue ?? [] {
            let group = try #require(DiffieHellmanGroup(rawValue: UInt16(try v.int("group"))))
            let initiator = try DiffieHellmanKeyPair(
                group: group, privateValue: SecretBytes(try v.hex("initiatorPrivate")))
            let responder = try DiffieHellmanKeyPair(
                group: group, privateValue: SecretBytes(try v.hex("responderPrivate")))
            #expect(initiator.publicValue == (try v.hex("initiatorPublic")), "\(v.name)")
            #expect(responder.publicValue == (try v.hex("responderPublic")), "\(v.name)")
            let shared = try v.hex("sharedSecret")
            #expect(try initiator.sharedSecret(peerPublicValue: responder.publicValue).bytes == shared)
            #expect(try responder.sharedSecret(peerPublicValue: initiator.publicValue).bytes == shared)
        }
        for entry in file["invalidECPPublicValues"]?.arrayValue ?? [] {
            let group = try #require(DiffieHellmanGroup(rawValue: UInt16(try entry.int("group"))))
            var random = SeededRandomSource(seed: 1)
            let pair = try DiffieHellmanKeyPair(group: group, random: &random)
            for bad in entry["values"]?.arrayValue ?? [] {
                #expect(throws: CryptoError.invalidPublicValue, "\(bad.name)") {
                    try pair.sharedSecret(peerPublicValue: try bad.hex("value"))
                }
            }
        }
    }

    @Test("MODP DH matches the computed vectors; the RFC 6989 checks reject 0, 1, p-1, p, p+1")
    func modpVectors() throws {
        let file = try TestVectors.load("crypto/modp-dh.json")
        let vectors = file["vectors"]?.arrayValue ?? []
        #expect(vectors.count == 4)
        for v in vectors {
            let group = try #require(DiffieHellmanGroup(rawValue: UInt16(try v.int("group"))))
            let initiator = try DiffieHellmanKeyPair(
                group: group, privateValue: SecretBytes(try v.hex("initiatorPrivate")))
            let responder = try DiffieHellmanKeyPair(
                group: group, privateValue: SecretBytes(try v.hex("responderPrivate")))
            #expect(initiator.publicValue == (try v.hex("initiatorPublic")), "\(v.name)")
            #expect(responder.publicValue == (try v.hex("responderPublic")), "\(v.name)")
            #expect(
                try initiator.sharedSecret(peerPublicValue: responder.publicValue).bytes == (try v.hex("sharedSecret")))
        }
        for entry in file["invalidPublicValues"]?.arrayValue ?? [] {
            let group = try #require(DiffieHellmanGroup(rawValue: UInt16(try entry.int("group"))))
            var random = SeededRandomSource(seed: 2)
            let pair = try DiffieHellmanKeyPair(group: group, random: &random)
            let values = entry["values"]?.arrayValue ?? []
            #expect(values.count >= 4)
            for bad in values {
                #expect(throws: CryptoError.invalidPublicValue, "\(bad.name)") {
                    try pair.sharedSecret(peerPublicValue: try bad.hex("value"))
                }
            }
        }
    }

    @Test("DH rejects public values of the wrong length", arguments: DiffieHellmanGroup.allCases)
    func dhRejectsWrongLength(group: DiffieHellmanGroup) throws {
        var random = SeededRandomSource(seed: 3)
        let pair = try DiffieHellmanKeyPair(group: group, random: &random)
        #expect(throws: CryptoError.invalidPublicValue) {
            try pair.sharedSecret(peerPublicValue: pair.publicValue.dropLast() + [])
        }
        #expect(throws: CryptoError.invalidPublicValue) {
            try pair.sharedSecret(peerPublicValue: pair.publicValue + [0])
        }
    }

    @Test("Fresh DH key pairs agree on the secret", arguments: DiffieHellmanGroup.allCases)
    func dhAgreement(group: DiffieHellmanGroup) throws {
        var random = SystemRandomSource()
        let a = try DiffieHellmanKeyPair(group: group, random: &random)
        let b = try DiffieHellmanKeyPair(group: group, random: &random)
        #expect(a.publicValue.count == group.publicValueLength)
        let secret = try a.sharedSecret(peerPublicValue: b.publicValue)
        #expect(secret.count == group.sharedSecretLength)
        #expect(secret == (try b.sharedSecret(peerPublicValue: a.publicValue)))
        #expect(a.publicValue != b.publicValue)
    }

    @Test("Out-of-range private values are refused")
    func dhRejectsBadPrivateValues() {
        #expect(throws: CryptoError.invalidPrivateKey) {
            try DiffieHellmanKeyPair(group: .ecp256, privateValue: SecretBytes([UInt8](repeating: 0, count: 32)))
        }
        #expect(throws: CryptoError.invalidPrivateKey) {
            try DiffieHellmanKeyPair(group: .ecp256, privateValue: SecretBytes([UInt8](repeating: 0xFF, count: 32)))
        }
        #expect(throws: CryptoError.invalidPrivateKey) {
            try DiffieHellmanKeyPair(group: .modp2048, privateValue: SecretBytes([UInt8](repeating: 0, count: 32)))
        }
    }

    @Test("The MODP primes are those of RFC 2409 and RFC 3526")
    func modpPrimes() throws {
        let primes = try #require(try TestVectors.load("crypto/modp-dh.json")["primes"])
        for group in [DiffieHellmanGroup.modp1024, .modp2048] {
            let p = try primes.hex(String(group.rawValue))
            #expect(p.count == group.publicValueLength)
            // p - 1 is the largest value the RFC 6989 check rejects; p - 2 must pass.
            var pMinusTwo = p
            pMinusTwo[pMinusTwo.count - 1] -= 2
            var random = SeededRandomSource(seed: 4)
            let pair = try DiffieHellmanKeyPair(group: group, random: &random)
            #expect(throws: Never.self) { try pair.sharedSecret(peerPublicValue: pMinusTwo) }
        }
    }

    @Test("The concatenation KDF matches NIST CAVP and independent implementations")
    func concatenationKDF() throws {
        let vectors = try TestVectors.vectors("crypto/concat-kdf.json")
        #expect(vectors.count >= 20)
        for v in vectors {
            let hash = try #require(HashAlgorithm(rawValue: try v.string("hash")))
            let out = ConcatenationKDF.derive(
                hash: hash, z: try v.hex("z"), otherInfo: try v.hex("otherInfo"), length: try v.int("length"))
            #expect(out == (try v.hex("derivedKey")), "\(v.name)")
        }
    }

    @Test("The Vendor IDs are the MD5 of their strings, and the parser names them")
    func vendorIDs() throws {
        let vectors = try TestVectors.vectors("crypto/vendor-ids.json")
        #expect(vectors.count == 9)
        for v in vectors {
            let md5 = HashAlgorithm.md5.digest(Array(try v.string("string").utf8))
            #expect(md5 == (try v.hex("md5")), "\(v.name)")
            if try v.string("string") == "MS NT5 ISAKMPOAKLEY" {
                #expect(KnownVendor(data: md5 + [0, 0, 0, 9]) == .microsoftWindows(version: 9))
            } else {
                #expect(KnownVendor(data: md5)?.sourceString == (try v.string("string")))
            }
        }
    }
}

@Suite("Random sources and secrets")
struct RandomAndSecretTests {
    @Test("The seeded source replays byte for byte and differs per seed")
    func seededIsDeterministic() {
        var a = SeededRandomSource(seed: 42), b = SeededRandomSource(seed: 42), c = SeededRandomSource(seed: 43)
        let first = a.bytes(50) + a.bytes(7)
        #expect(first == b.bytes(57))
        #expect(first != c.bytes(57))
        // Block 0 is SHA-256(seed || 0).
        var d = SeededRandomSource(seed: [1, 2, 3])
        #expect(d.bytes(32) == HashAlgorithm.sha256.digest([1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0]))
    }

    @Test("The system source gives distinct bytes")
    func systemRandom() {
        var r = SystemRandomSource()
        let first = r.bytes(32)
        let second = r.bytes(32)
        let none = r.bytes(0)
        #expect(first != second)
        #expect(none.isEmpty)
    }

    @Test("Secrets compare by content, slice, and never print their bytes")
    func secretBytes() {
        let s = SecretBytes([1, 2, 3, 4])
        #expect(s == SecretBytes([1, 2, 3, 4]))
        #expect(s != SecretBytes([1, 2, 3, 5]))
        #expect(s != SecretBytes([1, 2, 3]))
        #expect(s.prefix(2).bytes == [1, 2])
        #expect(s.suffix(1).bytes == [4])
        #expect(!"\(s)".contains("1, 2"))
        #expect(SecretBytes.empty.isEmpty)
    }
}
