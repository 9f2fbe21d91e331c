import AuthIPJSON
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON-lines file of audit records that never loses a record it has
/// acknowledged.
///
/// Each record is one line, the compact `AuditRecord.json` followed by LF, written with one
/// `write(2)` on an `O_APPEND` descriptor and then `fdatasync(2)`; `append` returns (the
/// acknowledgement) only after both succeeded. A new file's directory is synced once, so the
/// file itself survives a crash. Opening the log takes an exclusive `flock` and recovers from
/// a crash in the middle of an append: bytes after the last LF (a torn line) are truncated
/// away, and so is a final line that does not parse as a record; the truncation is synced
/// before `init` returns. A record whose `append` threw may or may not be in the file.
public struct DurableAuditLog: ~Copyable {
    public let path: String
    /// The ID of the last record in the file, 0 when it is empty. Appends must exceed it.
    public private(set) var lastRecordID: UInt64
    /// How many bytes of a torn or unreadable final line opening the log removed.
    public let droppedTailBytes: Int64

    private let descriptor: Int32
    private var committedLength: Int64
    private var isUsable = true

    /// Opens (creating if needed) and recovers the log at `path`.
    public init(path: String) throws(DurableAuditLogError) {
        let descriptor = try Self.openLockedFile(path)
        do throws(DurableAuditLogError) {
            let recovery = try LogRecovery(descriptor: descriptor, path: path)
            self.path = path
            self.descriptor = descriptor
            lastRecordID = recovery.lastRecordID
            committedLength = recovery.length
            droppedTailBytes = recovery.droppedBytes
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit {
        close(descriptor)
    }

    /// Writes the record and syncs it to disk; when this returns, the record is durable.
    public mutating func append(_ record: AuditRecord) throws(DurableAuditLogError) {
        try append(contentsOf: [record])
    }

    /// Appends records with one `write(2)` and one `fdatasync(2)` for all of them (group
    /// commit): when it returns, every one is acknowledged. Their IDs must increase.
    public mutating func append(contentsOf records: [AuditRecord]) throws(DurableAuditLogError) {
        guard isUsable else { throw .unusable(path: path) }
        var last = lastRecordID
        var lines: [UInt8] = []
        for record in records {
            guard record.recordID > last else { throw .recordIDNotIncreasing(last: last, rejected: record.recordID) }
            last = record.recordID
            lines += Array((record.json.compactText + "\n").utf8)
        }
        guard !lines.isEmpty else { return }
        var written = 0
        while written < lines.count {
            let count = lines.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, lines.count - written) }
            if count > 0 {
                written += count
                continue
            }
            let error = count < 0 ? errno : EIO
            if error == EINTR { continue }
            // Take partial lines back off so the file stays a sequence of whole records.
            if ftruncate(descriptor, off_t(committedLength)) != 0 { isUsable = false }
            throw .system(.write, path: path, errno: error)
        }
        guard Self.syncData(descriptor) == 0 else {
            // After a failed sync the kernel may have dropped the dirty pages and will not say
            // so again: nothing written since the last good sync can be vouched for.
            isUsable = false
            throw .system(.sync, path: path, errno: errno)
        }
        committedLength += Int64(lines.count)
        lastRecordID = last
    }

    private static func openLockedFile(_ path: String) throws(DurableAuditLogError) -> Int32 {
        let flags = O_RDWR | O_APPEND | O_CLOEXEC
        var descriptor = open(path, flags)
        if descriptor < 0, errno == ENOENT {
            descriptor = open(path, flags | O_CREAT | O_EXCL, 0o640)
            if descriptor >= 0 {
                do throws(DurableAuditLogError) {
                    try syncDirectory(of: path)
                } catch {
                    close(descriptor)
                    throw error
                }
            }
        }
        guard descriptor >= 0 else { throw .system(.open, path: path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            throw error == EWOULDBLOCK ? .locked(path: path) : .system(.lock, path: path, errno: error)
        }
        return descriptor
    }

    private static func syncDirectory(of path: String) throws(DurableAuditLogError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(.syncDirectory, path: directory, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .system(.syncDirectory, path: directory, errno: errno) }
    }

    static func syncData(_ descriptor: Int32) -> Int32 {
        #if os(Linux)
        return fdatasync(descriptor)
        #else
        return fsync(descriptor)
        #endif
    }
}
