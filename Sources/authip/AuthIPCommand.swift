import ArgumentParser
import Foundation

@main
struct AuthIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authip",
        abstract: "AuthIP (MS-AIPS) tools: decode messages, validate certificates, run the demo.",
        subcommands: [
            DemoCommand.self, SimulateCommand.self, VectorsCommand.self, DecodeCommand.self, CertificateCommand.self,
            CRLCommand.self, ResponderCommand.self, InitiatorCommand.self, InteropCommand.self, SACommand.self,
            BlockCommand.self, StatusCommand.self, ReloadCommand.self, LoadCommand.self, ClusterCommand.self,
        ])

    /// Usage errors exit with status 2, as Unix tools do; everything else as ArgumentParser
    /// decides (help 0, a command's own ExitCode as thrown).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
