import COpenSSL
import Foundation

/// Which generator OpenSSL itself draws from (TLS randoms and ephemeral keys, key
/// generation). Normally its own; for a byte-for-byte replay (`authip vectors run`), a seeded
/// stream for the whole process.
public enum OpenSSLRandom {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var seeded: SeededRandomSource?

    /// From now on every OpenSSL random byte in this process comes from `SeededRandomSource(seed:)`.
    /// Not for production: use it only in a process that replays vectors.
    public static func useSeeded(_ seed: UInt64) {
        lock.lock()
        seeded = SeededRandomSource(seed: seed)
        lock.unlock()
        _ = authip_use_random_source { buffer, count in
            guard let buffer, count > 0 else { return }
            OpenSSLRandom.lock.lock()
            defer { OpenSSLRandom.lock.unlock() }
            OpenSSLRandom.seeded?.fill(UnsafeMutableRawBufferPointer(start: buffer, count: Int(count)))
        }
    }

    /// Back to OpenSSL's own generator.
    public static func useSystem() {
        _ = authip_use_random_source(nil)
        lock.lock()
        seeded = nil
        lock.unlock()
    }
}
