import COpenSSL

/// Key material that is wiped (OPENSSL_cleanse) when its last copy is released. Copies share
/// one buffer; equality is constant-time.
public struct SecretBytes: Sendable, Hashable, CustomStringConvertible {
    private final class Storage: @unchecked Sendable {
        let buffer: UnsafeMutableRawBufferPointer

        init(count: Int) {
            buffer = .allocate(byteCount: max(count, 1), alignment: 16)
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
        }

        deinit {
            OPENSSL_cleanse(buffer.baseAddress, buffer.count)
            SecretBytes.wipeObserver?(UnsafeRawBufferPointer(buffer))
            buffer.deallocate()
        }
    }

    /// For the tests of this package: sees each secret's buffer after it was wiped, just
    /// before it is freed.
    nonisolated(unsafe) package static var wipeObserver: ((UnsafeRawBufferPointer) -> Void)?

    private let storage: Storage
    public let count: Int

    /// A secret of `count` bytes, filled by `initializer`.
    public init(count: Int, _ initializer: (UnsafeMutableRawBufferPointer) -> Void) {
        storage = Storage(count: count)
        self.count = count
        initializer(UnsafeMutableRawBufferPointer(rebasing: storage.buffer[0..<count]))
    }

    /// Copies `bytes` into a secret; the caller remains responsible for its own copy.
    public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        self.init(count: bytes.count) { buffer in _ = buffer.initializeMemory(as: UInt8.self, from: bytes) }
    }

    /// An empty secret (a missing DH value, no EM).
    public static let empty = SecretBytes([UInt8]())

    public var isEmpty: Bool { count == 0 }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage.buffer[0..<count]))
    }

    /// A plain copy, for test vectors and for handing keys to a data plane.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The first `length` bytes as a new secret.
    public func prefix(_ length: Int) -> SecretBytes {
        withUnsafeBytes { SecretBytes($0.prefix(length)) }
    }

    /// The last `length` bytes as a new secret.
    public func suffix(_ length: Int) -> SecretBytes {
        withUnsafeBytes { SecretBytes($0.suffix(length)) }
    }

    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 }
        }
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(count) }

    /// Never prints the secret.
    public var description: String { "SecretBytes(\(count) bytes)" }
}

/// Builds a byte string from parts into one buffer sized up front, so no reallocation leaves
/// an unwiped copy of secret parts behind; the result is a `SecretBytes`.
package enum SecretConcatenation {
    package static func build(_ fill: (inout ByteSink) -> Void) -> SecretBytes {
        var sizer = ByteSink(target: nil)
        fill(&sizer)
        return SecretBytes(count: sizer.count) { buffer in
            var sink = ByteSink(target: buffer)
            fill(&sink)
        }
    }
}

/// Either counts bytes (no target) or writes them into a preallocated buffer.
package struct ByteSink {
    let target: UnsafeMutableRawBufferPointer?
    package private(set) var count = 0

    init(target: UnsafeMutableRawBufferPointer?) { self.target = target }

    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if let target, bytes.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: target[count..<count + bytes.count]).copyMemory(from: bytes)
        }
        count += bytes.count
    }

    package mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }
    package mutating func append(_ secret: SecretBytes) { secret.withUnsafeBytes { append($0) } }
    package mutating func append(_ byte: UInt8) { Swift.withUnsafeBytes(of: byte) { append($0) } }

    /// Appends a big-endian unsigned integer of `T`'s width.
    package mutating func append<T: FixedWidthInteger & UnsignedInteger>(bigEndian value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append($0) }
    }
}
