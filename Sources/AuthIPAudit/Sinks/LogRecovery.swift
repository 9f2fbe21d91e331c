import AuthIPJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Brings a log file that a crash may have cut short back to whole records: reads only the
/// end of the file, truncates a torn or unreadable final line, and finds the last record ID.
struct LogRecovery {
    /// The file's length after recovery.
    let length: Int64
    let lastRecordID: UInt64
    let droppedBytes: Int64

    init(descriptor: Int32, path: String) throws(DurableAuditLogError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system(.stat, path: path, errno: errno) }
        let size = Int64(status.st_size)
        let file = LogFileReader(descriptor: descriptor, path: path)

        // A line without its LF is the write a crash interrupted.
        var end = try file.lastNewline(before: size).map { $0 + 1 } ?? 0
        var lastRecordID: UInt64 = 0
        if end > 0 {
            let start = try file.lastNewline(before: end - 1).map { $0 + 1 } ?? 0
            if let id = try file.recordID(in: start..<(end - 1)) {
                lastRecordID = id
            } else {
                // A whole but unreadable final line (blocks a crash left unwritten) goes too;
                // the line before it must then be a record.
                end = start
                if end > 0 {
                    let previous = try file.lastNewline(before: end - 1).map { $0 + 1 } ?? 0
                    guard let id = try file.recordID(in: previous..<(end - 1)) else {
                        throw .corruptRecord(path: path, offset: previous)
                    }
                    lastRecordID = id
                }
            }
        }
        if end < size {
            guard ftruncate(descriptor, off_t(end)) == 0 else { throw .system(.truncate, path: path, errno: errno) }
            guard DurableAuditLog.syncData(descriptor) == 0 else { throw .system(.sync, path: path, errno: errno) }
        }
        length = end
        self.lastRecordID = lastRecordID
        droppedBytes = size - end
    }
}

/// Positioned reads from the log file.
private struct LogFileReader {
    let descriptor: Int32
    let path: String
    static let chunkSize: Int64 = 4096

    /// The offset of the last LF in `0..<end`, if any.
    func lastNewline(before end: Int64) throws(DurableAuditLogError) -> Int64? {
        var chunkEnd = end
        while chunkEnd > 0 {
            let chunkStart = max(0, chunkEnd - Self.chunkSize)
            let bytes = try read(chunkStart..<chunkEnd)
            if let index = bytes.lastIndex(of: 0x0A) { return chunkStart + Int64(index) }
            chunkEnd = chunkStart
        }
        return nil
    }

    /// The `EventRecordID` of the record in `range` (a line without its LF), or nil when the
    /// bytes are not a record.
    func recordID(in range: Range<Int64>) throws(DurableAuditLogError) -> UInt64? {
        let text = String(decoding: try read(range), as: UTF8.self)
        guard let record = try? JSONValue(parsing: text),
            let id = record["System"]?["EventRecordID"]?.stringValue
        else { return nil }
        return UInt64(id)
    }

    private func read(_ range: Range<Int64>) throws(DurableAuditLogError) -> [UInt8] {
        let total = Int(range.count)
        var bytes = [UInt8](repeating: 0, count: total)
        var done = 0
        while done < total {
            let count = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + done, total - done, off_t(range.lowerBound + Int64(done)))
            }
            if count > 0 {
                done += count
            } else if count < 0, errno == EINTR {
                continue
            } else {
                throw .system(.read, path: path, errno: count < 0 ? errno : EIO)
            }
        }
        return bytes
    }
}
