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

    private static func start() -> Result<KerberosRealm, RealmError> {
        let port = freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authip-krb5-\(getpid())").path
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
        guard process.terminationStatus == 0 else { return .failure(RealmError(text: text)) }
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

    /// A port nothing listens on now, from the kernel.
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}
