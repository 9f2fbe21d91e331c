import COpenSSL

/// Where random bytes come from. The engine takes one as an input so that a run can be
/// replayed byte for byte: OpenSSL's CSPRNG in production, a seeded generator for vectors.
public protocol RandomSource {
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomSource {
    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }

    /// A random secret of `count` bytes.
    public mutating func secret(_ count: Int) -> SecretBytes {
        SecretBytes(count: count) { fill($0) }
    }

    /// A random 64-bit number (cookies, message IDs).
    public mutating func next() -> UInt64 {
        bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// OpenSSL's CSPRNG (RAND_bytes).
public struct SystemRandomSource: RandomSource {
    /// A byte of storage, so that a value has an address of its own: a `mutating` call on a
    /// zero-sized value passes a placeholder address, and ThreadSanitizer's instrumentation
    /// of the access crashed on one (a SEGV in its shadow store).
    private let storage: UInt8 = 0

    public init() { _ = OpenSSL.legacyProviderLoaded }

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count > 0 else { return }
        precondition(
            RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)) == 1,
            "RAND_bytes failed: \(OpenSSL.lastError())")
    }
}

/// A deterministic generator for tests and vectors: block i (from 0) of the stream is
/// SHA-256(seed || i as a 64-bit big-endian number). Never use it for real keys.
public struct SeededRandomSource: RandomSource {
    private let seed: [UInt8]
    private var counter: UInt64 = 0
    private var pending: [UInt8] = []

    public init(seed: [UInt8]) { self.seed = seed }

    /// A seed given as a number, for `--seed S` style options.
    public init(seed: UInt64) {
        var bytes: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: seed >> UInt64(shift)))
        }
        self.init(seed: bytes)
    }

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var written = 0
        while written < buffer.count {
            if pending.isEmpty {
                var block = seed
                for shift in stride(from: 56, through: 0, by: -8) {
                    block.append(UInt8(truncatingIfNeeded: counter >> UInt64(shift)))
                }
                pending = HashAlgorithm.sha256.digest(block)
                counter += 1
            }
            let n = min(pending.count, buffer.count - written)
            for i in 0..<n { buffer[written + i] = pending[i] }
            pending.removeFirst(n)
            written += n
        }
    }
}
