import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files that hold secrets (private keys, keytabs, passwords, account directories,
/// configurations with inline passwords) are read only when nobody but their owner can touch
/// them: owned by this user or root, no permission for group or others. Their bytes go
/// straight into a `SecretBytes`, wiped when released.
public enum SecretFile {
    /// Reads the secret file at `path`, checking owner and mode on the open file.
    public static func read(_ path: String, maximumSize: Int = 16 << 20) throws(SecretFileError) -> SecretBytes {
        try read(path, maximumSize: maximumSize, checking: true)
    }

    private static func read(_ path: String, maximumSize: Int, checking: Bool) throws(SecretFileError) -> SecretBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        if checking { try check(status, path: path) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        let size = Int(status.st_size)
        guard size <= maximumSize else { throw .unreadable(path: path, reason: "larger than \(maximumSize) bytes") }
        var failure: SecretFileError?
        let secret = SecretBytes(count: size) { buffer in
            var done = 0
            while done < size {
                let n = Glibc.read(fd, buffer.baseAddress! + done, size - done)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    failure = .unreadable(
                        path: path, reason: n < 0 ? String(cString: strerror(errno)) : "shorter than its size")
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
        return secret
    }

    /// Checks owner and mode of the secret file at `path` without reading it (a keytab that
    /// another library opens, a configuration found to hold passwords).
    public static func checkPermissions(_ path: String) throws(SecretFileError) {
        var status = stat()
        guard stat(path, &status) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        try check(status, path: path)
    }

    /// Reads a file that may or may not hold secrets, into a wiped buffer, without checking
    /// its permissions: the caller checks them (`checkPermissions`) once it knows.
    public static func readUnchecked(_ path: String, maximumSize: Int = 16 << 20) throws(SecretFileError) -> SecretBytes
    {
        try read(path, maximumSize: maximumSize, checking: false)
    }

    private static func check(_ status: stat, path: String) throws(SecretFileError) {
        guard status.st_uid == geteuid() || status.st_uid == 0 else {
            throw .foreignOwner(path: path, owner: status.st_uid)
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 == 0 else { throw .accessibleToOthers(path: path, mode: mode) }
    }
}

/// Why a secret file was not read.
public enum SecretFileError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// Group or others may read or change it.
    case accessibleToOthers(path: String, mode: mode_t)
    /// Neither this user nor root owns it.
    case foreignOwner(path: String, owner: uid_t)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .accessibleToOthers(let path, let mode):
            return
                "refusing \(path): mode \(String(format: "%04o", mode)) lets group or others at a secret (chmod 600 \(path))"
        case .foreignOwner(let path, let owner):
            return "refusing \(path): owned by uid \(owner), neither this user nor root"
        }
    }
}
