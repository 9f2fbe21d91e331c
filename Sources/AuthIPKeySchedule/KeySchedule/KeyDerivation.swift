import AuthIPCrypto
import AuthIPWire

/// The negotiated MM algorithms that the key schedule depends on.
public struct MainModeAlgorithms: Hashable, Sendable {
    public var cipher: BlockCipher
    public var hash: HashAlgorithm

    public init(cipher: BlockCipher, hash: HashAlgorithm) {
        self.cipher = cipher
        self.hash = hash
    }
}

/// What every A-KDF call of one MM SA shares: the algorithms and the cookies.
/// A-KDF(Z, OtherInfo(pub, priv), L) with OtherInfo = Crypto-ID || CKY-I || CKY-R || pub || priv
/// (RISK 2 of Docs/InteropProfile.md: plain concatenation, no length prefixes).
public struct KeyDerivation: Sendable {
    public let algorithms: MainModeAlgorithms
    public let initiatorCookie: UInt64
    public let responderCookie: UInt64

    public init(algorithms: MainModeAlgorithms, initiatorCookie: UInt64, responderCookie: UInt64) {
        self.algorithms = algorithms
        self.initiatorCookie = initiatorCookie
        self.responderCookie = responderCookie
    }

    /// A-KDF(z, OtherInfo(pub, priv), length) where `pub` and `priv` are written by the closures.
    func derive(
        z: SecretBytes, length: Int, suppPubInfo: (inout ByteSink) -> Void,
        suppPrivInfo: (inout ByteSink) -> Void
    ) -> SecretBytes {
        let otherInfo = SecretConcatenation.build { sink in
            sink.append(bigEndian: algorithms.cipher.cryptoID)
            sink.append(bigEndian: initiatorCookie)
            sink.append(bigEndian: responderCookie)
            suppPubInfo(&sink)
            suppPrivInfo(&sink)
        }
        return ConcatenationKDF.derive(hash: algorithms.hash, z: z, otherInfo: otherInfo, length: length)
    }
}
