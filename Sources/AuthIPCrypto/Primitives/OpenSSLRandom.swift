import COpenSSL
import Foundation

/// Which generator OpenSSL itself draws from (TLS randoms and ephemeral keys, key
/// generation, and `SystemRandomSource`). Normally its own; for a byte-for-byte replay
/// (`authip vectors run`), a seeded or a recorded stream for the whole process; for a
/// recording (`authip responder --record`), the kernel's generator with every byte kept.
public enum OpenSSLRandom {
    /// Where the bytes come from, other than OpenSSL's own generator.
    private enum Source {
        case seeded(SeededRandomSource)
        /// A recorded stream, and how far it has been read; nil once it ran out.
        case stream([UInt8], Int)
        /// The kernel's generator, every byte kept.
        case recording([UInt8])
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var source: Source?
    nonisolated(unsafe) private static var exhausted = false

    /// From now on every OpenSSL random byte in this process comes from `SeededRandomSource(seed:)`.
    /// Not for production: use it only in a process that replays vectors.
    public static func useSeeded(_ seed: UInt64) {
        install(.seeded(SeededRandomSource(seed: seed)))
    }

    /// From now on every OpenSSL random byte in this process comes from `bytes`, in order (a
    /// recording's); past their end, zeros, and `streamRanOut` says so. Replays only.
    public static func useStream(_ bytes: [UInt8]) {
        install(.stream(bytes, 0))
    }

    /// From now on OpenSSL's random bytes come from the kernel (getrandom) and are kept, for
    /// `recorded`. For a process that records a negotiation to replay it; the bytes are as
    /// secret as the keys made from them.
    public static func useRecording() {
        install(.recording([]))
    }

    /// The bytes drawn since `useRecording()`.
    public static var recorded: [UInt8] {
        lock.withLock {
            if case .recording(let bytes) = source { return bytes }
            return []
        }
    }

    /// Whether a replayed stream was read past its end.
    public static var streamRanOut: Bool { lock.withLock { exhausted } }

    /// Back to OpenSSL's own generator.
    public static func useSystem() {
        _ = authip_use_random_source(nil)
        lock.withLock {
            source = nil
            exhausted = false
        }
    }

    private static func install(_ new: Source) {
        lock.withLock {
            source = new
            exhausted = false
        }
        _ = authip_use_random_source { buffer, count in
            guard let buffer, count > 0 else { return }
            OpenSSLRandom.fill(UnsafeMutableRawBufferPointer(start: buffer, count: Int(count)))
        }
    }

    private static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        switch source {
        case .seeded(var generator):
            generator.fill(buffer)
            source = .seeded(generator)
        case .stream(let bytes, let offset):
            let available = min(buffer.count, bytes.count - offset)
            buffer.copyBytes(from: bytes[offset..<(offset + available)])
            if available < buffer.count {
                buffer[available...].initializeMemory(as: UInt8.self, repeating: 0)
                exhausted = true
            }
            source = .stream(bytes, offset + available)
        case .recording(var bytes):
            source = nil  // the only reference: appending does not copy the whole recording
            var filled = 0
            while filled < buffer.count {
                let n = authip_getrandom(buffer.baseAddress! + filled, buffer.count - filled)
                if n > 0 { filled += n }
            }
            bytes.append(contentsOf: buffer)
            source = .recording(bytes)
        case nil:
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
        }
    }
}
