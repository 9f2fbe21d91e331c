import ArgumentParser
import AuthIPNIO
import Foundation

/// `authip initiator --config FILE`: acquires the configuration's traffic at start, negotiates
/// its SAs, and runs on as a responder does; with `--exit-when-established` it exits 0 as soon
/// as every acquire has its SAs, and non-zero when a negotiation fails or time runs out.
struct InitiatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "initiator",
        abstract: "Negotiate SAs for the configuration's acquire list over UDP, printing events and SAs.",
        discussion: """
            Runs until SIGINT or SIGTERM, or for --duration seconds, then tells its peers and removes its SAs. \
            With --exit-when-established it stops once every acquired request has its SAs (exit 0), or when a \
            negotiation fails (exit 1), time runs out (exit 3) or a signal comes (exit 4). \
            Otherwise: 0 stopped, 1 a socket could not be bound, 2 usage or configuration errors.
            """)

    @OptionGroup var options: DaemonOptions

    @Flag(
        help: "Exit once every acquired request has its SAs; fail on a failed negotiation or when --duration runs out.")
    var exitWhenEstablished = false

    func run() throws {
        let outcome = try options.run(acquiresAtStart: true, stopsWhenEstablished: exitWhenEstablished)
        guard exitWhenEstablished else { return }
        switch outcome {
        case .established:
            return
        case .failed(let reason):
            printError("negotiation failed: \(reason)")
            throw ExitCode(1)
        case .durationElapsed:
            printError("not established within \(options.duration ?? 0) s")
            throw ExitCode(3)
        case .signalled(let number):
            printError("stopped by signal \(number) before the SAs were established")
            throw ExitCode(4)
        }
    }
}
