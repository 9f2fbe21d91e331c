/// The NIST SP 800-56A concatenation KDF ("A-KDF" in MS-AIPS): block i (from 1) is
/// H(i as u32 big-endian || Z || OtherInfo); the output is the first `length` bytes of the
/// blocks in order.
public enum ConcatenationKDF {
    public static func derive(hash: HashAlgorithm, z: SecretBytes, otherInfo: SecretBytes, length: Int) -> SecretBytes {
        let blockCount = (length + hash.digestLength - 1) / hash.digestLength
        return SecretBytes(count: length) { output in
            var block = [UInt8](repeating: 0, count: hash.digestLength)
            defer { wipe(&block) }
            for counter in 1...max(blockCount, 1) where length > 0 {
                let counterBytes: [UInt8] = [
                    UInt8(counter >> 24 & 0xFF), UInt8(counter >> 16 & 0xFF),
                    UInt8(counter >> 8 & 0xFF), UInt8(counter & 0xFF),
                ]
                hash.digest(parts: [.bytes(counterBytes), .secret(z), .secret(otherInfo)], into: &block)
                let start = (counter - 1) * hash.digestLength
                let n = min(hash.digestLength, length - start)
                for i in 0..<n { output[start + i] = block[i] }
            }
        }
    }

    /// The same KDF over plain inputs (test vectors).
    public static func derive(hash: HashAlgorithm, z: [UInt8], otherInfo: [UInt8], length: Int) -> [UInt8] {
        derive(hash: hash, z: SecretBytes(z), otherInfo: SecretBytes(otherInfo), length: length).bytes
    }
}
