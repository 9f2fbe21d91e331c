import Foundation
import Logging

/// The daemon's diagnostics on standard error, one line a message: the message, then its
/// metadata as `key=value` pairs in key order (`received peer=198.51.100.7:4500 icookie=…`).
/// When standard error is the journal's stream (`JOURNAL_STREAM` names its device and inode)
/// each line starts with its sd-daemon priority (`<6>`), so the journal files it at its level:
/// `journalctl -u authip-responder -p warning`.
public struct DiagnosticLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let journal: Bool

    public init(level: Logger.Level, journal: Bool = DiagnosticLogHandler.standardErrorIsJournal) {
        logLevel = level
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        FileHandle.standardError.write(Data((line(for: event) + "\n").utf8))
    }

    /// The text of one message, without its newline.
    public func line(for event: LogEvent) -> String {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let own = event.metadata { all.merge(own) { $1 } }
        let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let text = ([event.message.description] + pairs).joined(separator: " ")
        return journal ? "<\(Self.priority(event.level))>\(text)" : text
    }

    /// Whether standard error is the stream `JOURNAL_STREAM` (`DEVICE:INODE`) names.
    public static var standardErrorIsJournal: Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return stream == "\(status.st_dev):\(status.st_ino)"
    }

    /// The syslog priority journald reads from a line's `<N>` prefix.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }
}

extension Logger {
    /// A logger that drops everything: a driver's default, for embedders that log their own way.
    public static let silent = Logger(label: "authip") { _ in SwiftLogNoOpLogHandler() }
}
