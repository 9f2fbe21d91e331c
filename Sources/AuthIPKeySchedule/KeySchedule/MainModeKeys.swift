import AuthIPCrypto

/// The MM SA keys of MS-AIPS 3.1.7.4, derived once both GSS contexts are complete.
public struct MainModeKeys: Sendable {
    public let skeyid: SecretBytes
    /// Feeds the QM keys.
    public let skeyidD: SecretBytes
    /// Authenticates Crypto payloads (the ICV key).
    public let skeyidA: SecretBytes
    /// max(hashLength, cryptLength) bytes; the cipher key is its prefix.
    public let skeyidE: SecretBytes
    /// The Crypto payload cipher key: SKEYID_e cut to the key length, DES parity set.
    public let encryptionKey: SecretBytes

    /// Derives the keys from Z (g^xy, or empty without DH), the MM nonce bodies and the
    /// GSS-APIsecret of the MM authentication.
    public init(
        derivation: KeyDerivation, z: SecretBytes, initiatorNonce: [UInt8], responderNonce: [UInt8],
        gssSecret: SecretBytes
    ) {
        let hashLength = derivation.algorithms.hash.digestLength
        let cipher = derivation.algorithms.cipher
        func nonces(_ sink: inout ByteSink) {
            sink.append(initiatorNonce)
            sink.append(responderNonce)
        }
        skeyid = derivation.derive(z: z, length: hashLength, suppPubInfo: nonces) { $0.append(gssSecret) }
        let skeyid = self.skeyid
        skeyidD = derivation.derive(
            z: z, length: hashLength,
            suppPubInfo: {
                nonces(&$0); $0.append(UInt8(0))
            }
        ) {
            $0.append(skeyid)
        }
        let skeyidD = self.skeyidD
        skeyidA = derivation.derive(
            z: z, length: hashLength,
            suppPubInfo: {
                nonces(&$0); $0.append(UInt8(1))
            }
        ) {
            $0.append(skeyidD)
            $0.append(skeyid)
        }
        let skeyidA = self.skeyidA
        skeyidE = derivation.derive(
            z: z, length: max(hashLength, cipher.keyLength),
            suppPubInfo: {
                nonces(&$0); $0.append(UInt8(2))
            }
        ) {
            $0.append(skeyidA)
            $0.append(skeyid)
        }
        encryptionKey = MainModeKeys.cipherKey(from: skeyidE, cipher: cipher)
    }

    /// SKEYID_em: the key of the EM authentication proofs and of the QM keys after EM.
    public static func extendedModeKey(
        derivation: KeyDerivation, z: SecretBytes, initiatorNonce: [UInt8],
        responderNonce: [UInt8], gssSecret: SecretBytes
    ) -> SecretBytes {
        derivation.derive(
            z: z, length: derivation.algorithms.hash.digestLength,
            suppPubInfo: {
                $0.append(initiatorNonce); $0.append(responderNonce)
            }
        ) { $0.append(gssSecret) }
    }

    /// The first keyLength bytes; for DES and 3DES each byte gets odd parity in its low bit.
    static func cipherKey(from material: SecretBytes, cipher: BlockCipher) -> SecretBytes {
        SecretBytes(count: cipher.keyLength) { out in
            material.withUnsafeBytes { source in
                for i in 0..<cipher.keyLength {
                    var byte = source[i]
                    if cipher.usesDESParity {
                        byte = (byte & 0xFE) | ((byte >> 1).nonzeroBitCount % 2 == 0 ? 1 : 0)
                    }
                    out[i] = byte
                }
            }
        }
    }
}
