import ArgumentParser
import AuthIPScenarios
import Foundation

/// `authip interop`: how our endpoint fares against what Windows builds may send.
struct InteropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interop",
        abstract: "Check our endpoint against the Windows variants it must accept.",
        subcommands: [MatrixCommand.self])

    /// `authip interop matrix`: one line per pairing, then `N passed, M failed`; exit status 1
    /// when any pairing failed.
    struct MatrixCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "matrix",
            abstract:
                "Run our default endpoint against each variant profile, as initiator and responder, for both tunnels.")

        @Option(help: "The seed of the network and of every endpoint.")
        var seed: UInt64 = 1

        @Flag(help: "The infrastructure tunnel only (without it the intranet tunnel too, with the test KDC).")
        var infrastructureOnly = false

        func run() throws {
            var realm: KerberosRealm?
            if !infrastructureOnly {
                switch KerberosRealm.shared {
                case .success(let running): realm = running
                case .failure(let error): printError("intranet tunnel left out: no test KDC (\(error))")
                }
            }
            let pairings = try InteropMatrix(realm: realm, seed: seed).run()
            for pairing in pairings { print(pairing.line) }
            print(InteropMatrix.summary(pairings))
            if !pairings.allSatisfy(\.passed) { throw ExitCode(1) }
        }
    }
}
