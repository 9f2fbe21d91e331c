import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A throw-away MIT realm DA.TEST with its krb5kdc on 127.0.0.1 (scripts/krb5-realm.sh: alice
/// with password Alice-Pw-1 and a ticket cache, the service principal of the server and its
/// keytab), started once per process on a free port and killed when the process exits.
public struct KerberosRealm: Sendable {
    public let directory: String
    public let port: UInt16

    /// The server's service principal, whose keys the keytab holds.
    public static let service = "host/daserver.da.test@DA.TEST"

    /// The running realm, or why it could not start.
    public static let shared: Result<KerberosRealm, RealmError> = start()

    /// Why the realm could not start: the script's output.
    public struct RealmError: Error, CustomStringConvertible {
        public var text: String
        public var description: String { "the Kerberos realm did not start: \(text)" }
    }

    /// A credentials cache of the realm (`cc_alice`, `cc_alice_fast`, `cc_bob`).
    public func cache(_ name: String) -> String { "FILE:\(directory)/\(name)" }
    public var serverKeytab: String { "\(directory)/daserver.keytab" }
    /// The keys of `host/other.da.test`: a second service of the realm (a rogue server's own).
    public var otherKeytab: String { "\(directory)/other.keytab" }

    /// The repository's scripts/krb5-realm.sh.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/krb5-realm.sh").path

    nonisolated(unsafe) private static var stopDirectory = ""

    /// Three attempts, each on a fresh port and folder: another process may take the port
    /// between the kernel naming it free and the KDC binding it.
    private static func start() -> Result<KerberosRealm, RealmError> {
        var failures: [String] = []
        for attempt in 1...3 {
            switch start(attempt: attempt) {
            case .success(let realm): return .success(realm)
            case .failure(let error): failures.append("attempt \(attempt): \(error.text)")
            }
        }
        return .failure(RealmError(text: failures.joined(separator: "\n")))
    }

    private static func start(attempt: Int) -> Result<KerberosRealm, RealmError> {
        let port = freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-krb5-\(getpid())-\(attempt)"
        ).path
        try? FileManager.default.removeItem(atPath: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, "start", directory, String(port)]
        // Output to a file, not a pipe: the KDC left running would inherit the pipe.
        let log = directory + ".log"
        FileManager.default.createFile(atPath: log, contents: nil)
        guard let logHandle = FileHandle(forWritingAtPath: log) else {
            return .failure(RealmError(text: "cannot write \(log)"))
        }
        process.standardOutput = logHandle
        process.standardError = logHandle
        do {
            try process.run()
        } catch {
            return .failure(RealmError(text: "cannot run \(script): \(error)"))
        }
        process.waitUntilExit()
        try? logHandle.close()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: log)
            return .failure(RealmError(text: text))
        }
        setenv("KRB5_CONFIG", "\(directory)/krb5.conf", 1)
        setenv("KRB5RCACHEDIR", "\(directory)/rcache", 1)
        stopDirectory = directory
        atexit {
            // No process launching at exit: kill the KDC by its pid file.
            if let text = try? String(contentsOfFile: KerberosRealm.stopDirectory + "/krb5kdc.pid", encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                kill(pid, SIGKILL)
            }
            try? FileManager.default.removeItem(atPath: KerberosRealm.stopDirectory)
            try? FileManager.default.removeItem(atPath: KerberosRealm.stopDirectory + ".log")
        }
        return .success(KerberosRealm(directory: directory, port: port))
    }

    /// A port nothing uses now on 127.0.0.1, for TCP and for UDP (the KDC listens on both), from
    /// the kernel.
    static func freePort() -> UInt16 {
        for _ in 0..<64 {
            let port = bound(Int32(SOCK_STREAM.rawValue), port: 0)
            if port != 0, bound(Int32(SOCK_DGRAM.rawValue), port: port) == port { return port }
        }
        return bound(Int32(SOCK_STREAM.rawValue), port: 0)
    }

    /// The port a socket of `type` gets when bound to 127.0.0.1:`port` (0: the kernel's choice),
    /// or 0 when the bind fails; the socket is closed again.
    private static func bound(_ type: Int32, port: UInt16) -> UInt16 {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard status == 0 else { return 0 }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}
