import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program the tests start, with its standard output and error in files that can be read
/// while it runs.
final class ChildProcess {
    let name: String
    private let process = Process()
    private let outputFile: URL
    private let errorFile: URL

    /// The `authip` executable built beside the test bundle.
    static let authip = URL(
        fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
    )
    .deletingLastPathComponent().appendingPathComponent("authip")

    /// Starts `executable` in `directory`, with `environment` added to this process's.
    init(
        _ name: String, executable: URL, arguments: [String], in directory: URL, environment: [String: String] = [:]
    ) throws {
        self.name = name
        outputFile = directory.appendingPathComponent("\(name).out")
        errorFile = directory.appendingPathComponent("\(name).err")
        try Data().write(to: outputFile)
        try Data().write(to: errorFile)
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try Self.runWithSignalsUnblocked(process)
    }

    /// Stops a program the test left running: SIGTERM, then SIGKILL.
    deinit {
        guard process.isRunning else { return }
        process.terminate()
        if waitForExit(seconds: 2) == nil { kill(process.processIdentifier, SIGKILL) }
    }

    /// A child inherits the signal mask of the thread that starts it, and the test runner's
    /// threads block nearly every signal: a child started from one could not be stopped with
    /// SIGTERM.
    private static func runWithSignalsUnblocked(_ process: Process) throws {
        var none = sigset_t(), previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    var standardOutput: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

    /// Waits until standard error contains `text`; false when the program exits or time runs out first.
    func waitForError(containing text: String, seconds: Double) -> Bool {
        poll(seconds) { standardError.contains(text) ? true : (process.isRunning ? nil : false) } ?? false
    }

    /// The exit status, or nil when the program still runs after `seconds`.
    func waitForExit(seconds: Double) -> Int32? {
        poll(seconds) { process.isRunning ? nil : process.terminationStatus }
    }

    func terminate() { process.terminate() }

    /// SIGKILL: no chance to clean up, as after a crash.
    func killHard() { deliver(SIGKILL) }

    /// Sends `number` to the program.
    func deliver(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The process's ID.
    var pid: Int32 { process.processIdentifier }

    private func poll<Result>(_ seconds: Double, _ check: () -> Result?) -> Result? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        repeat {
            if let result = check() { return result }
            Thread.sleep(forTimeInterval: 0.02)
        } while Date() < deadline
        return check()
    }
}
