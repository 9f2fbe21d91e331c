import AuthIPCrypto
import AuthIPWire

/// Known-answer checks of the primitives against published values, and round trips of the
/// wire codec and the Crypto payload, fast enough to run at every start of the demo.
enum SelfCheck {
    struct Result {
        var name: String
        var passed: Bool
    }

    static func run() -> [Result] {
        [
            Result(name: "HMAC-SHA-256 (RFC 4231 test case 2)", passed:
                HashAlgorithm.sha256.hmac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
                == Hex.decode("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")),
            Result(name: "HMAC-MD5 (RFC 2202 test case 2)", passed:
                HashAlgorithm.md5.hmac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
                == Hex.decode("750c783e6ab0b503eaa86e310a5db738")),
            Result(name: "AES-128-CBC (RFC 3602 case 1)", passed: (try? BlockCipher.aes128.encrypt(
                key: SecretBytes(Hex.decode("06a9214036b8a15b512e03d534120006")!),
                iv: Hex.decode("3dafba429d9eb430b422da802c9fac41")!, Array("Single block msg".utf8)))
                == Hex.decode("e353779c1079aeb82708942dbe77181a")),
            Result(name: "ECP-256 Diffie-Hellman (RFC 5903 §8.1)", passed: ecp256()),
            Result(name: "MODP-2048 Diffie-Hellman agreement and RFC 6989 checks", passed: modp2048()),
            Result(name: "Vendor ID \"MS NT5 ISAKMPOAKLEY\" is its MD5", passed:
                HashAlgorithm.md5.digest(Array("MS NT5 ISAKMPOAKLEY".utf8)) + [0, 0, 0, 9]
                == VendorIDPayload(.microsoftWindows(version: 9)).data),
            Result(name: "Wire round trip of the sample message", passed: wireRoundTrip()),
            Result(name: "Crypto payload seal and open (AES-256, SHA-256)", passed: cryptoPayload()),
        ]
    }

    private static func ecp256() -> Bool {
        let i = "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433"
        let r = "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53"
        let shared = "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de"
        guard let a = try? DiffieHellmanKeyPair(group: .ecp256, privateValue: SecretBytes(Hex.decode(i)!)),
              let b = try? DiffieHellmanKeyPair(group: .ecp256, privateValue: SecretBytes(Hex.decode(r)!)),
              let z = try? a.sharedSecret(peerPublicValue: b.publicValue) else { return false }
        return z.bytes == Hex.decode(shared)
    }

    private static func modp2048() -> Bool {
        var random = SystemRandomSource()
        guard let a = try? DiffieHellmanKeyPair(group: .modp2048, random: &random),
              let b = try? DiffieHellmanKeyPair(group: .modp2048, random: &random),
              let z1 = try? a.sharedSecret(peerPublicValue: b.publicValue),
              let z2 = try? b.sharedSecret(peerPublicValue: a.publicValue) else { return false }
        let one = [UInt8](repeating: 0, count: 255) + [1]
        return z1 == z2 && (try? a.sharedSecret(peerPublicValue: one)) == nil
    }

    private static func wireRoundTrip() -> Bool {
        guard let bytes = Hex.decode(DemoCommand.sampleMainModeFirstMessage),
              let message = try? Message(parsing: bytes) else { return false }
        return message.serialized() == bytes && (try? Message(parsing: Array(bytes.dropLast()))) == nil
    }

    private static func cryptoPayload() -> Bool {
        let algorithms = MainModeAlgorithms(cipher: .aes256, hash: .sha256)
        let keys = MainModeKeys(derivation: KeyDerivation(algorithms: algorithms, initiatorCookie: 1, responderCookie: 2),
                                z: .empty, initiatorNonce: [1, 2, 3], responderNonce: [4, 5, 6], gssSecret: SecretBytes([7, 8, 9]))
        let protection = CryptoPayloadProtection(algorithms: algorithms, keys: keys, legacyICV: false)
        var random = SystemRandomSource()
        let payloads: [Payload] = [.notify(.status(code: 13905))]
        let header = ISAKMPHeader(initiatorCookie: 1, responderCookie: 2, exchangeType: .notify, messageID: 9)
        guard var sealed = try? protection.seal(header: header, sequenceNumber: 4, payloads: payloads, random: &random),
              let opened = try? protection.open(sealed), opened.payloads == payloads else { return false }
        sealed[sealed.count / 2] ^= 1
        return (try? protection.open(sealed)) == nil
    }
}
