import AuthIPCrypto
import AuthIPWire
import Testing

/// MD4 and RC4 from OpenSSL's legacy provider, against their RFC values.
@Suite("NTLM: legacy primitives")
struct NTLMLegacyPrimitiveTests {
    @Test(arguments: [
        ("", "31d6cfe0d16ae931b73c59d7e0c089c0"),
        ("abc", "a448017aaf21d8525fc10ae87aa6729d"),
        ("message digest", "d9130a8164549fe818874806e1c7014b"),
    ])
    func md4MatchesRFC1320(message: String, digest: String) {
        #expect(Hex.encode(LegacyDigest.md4(Array(message.utf8))) == digest)
    }

    /// RFC 6229 §2, 128-bit key 0x0102…10, keystream bytes 0–15.
    @Test func rc4MatchesRFC6229() throws {
        let key = SecretBytes(Hex.decode("0102030405060708090a0b0c0d0e0f10")!)
        let keystream = try RC4.encrypt(key: key, SecretBytes([UInt8](repeating: 0, count: 16)))
        #expect(Hex.encode(keystream) == "9ac7cc9a609d1ef7b2932899cde41b97")
    }

    @Test func rc4RefusesKeysThatAreNot16Bytes() {
        #expect(throws: CryptoError.invalidKeyLength) {
            try RC4.decrypt(key: SecretBytes([1, 2, 3]), [0, 0])
        }
    }
}
