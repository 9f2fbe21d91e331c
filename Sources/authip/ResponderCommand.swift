import ArgumentParser
import AuthIPNIO
import Foundation
import Logging

#if canImport(AuthIPCluster)
import AuthIPCluster
#endif

/// `authip responder --config FILE`: answers AuthIP negotiations on UDP until SIGINT, SIGTERM
/// or `--duration`, printing the audit events and SA changes.
struct ResponderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "responder",
        abstract: "Answer AuthIP negotiations on UDP as a configuration file says, printing events and SAs.",
        discussion: """
            Runs until SIGINT or SIGTERM, or for --duration seconds, then tells its peers and removes its SAs; \
            the configuration's acquire list is not used. \
            Exit status: 0 stopped, 1 a socket could not be bound, 2 usage or configuration errors.
            """)

    @OptionGroup var options: DaemonOptions

    @Option(help: "Endpoints that share the negotiations, each on a core of its own (default: the number of cores).")
    var shards: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (1...256).contains(shards) else { throw ValidationError("--shards must be 1 to 256.") }
    }

    func run() throws {
        // A recording replays one endpoint.
        _ = try options.run(
            acquiresAtStart: false, stopsWhenEstablished: false, shards: options.record == nil ? shards : 1)
    }
}

/// The options `authip responder` and `authip initiator` share, and how they run.
struct DaemonOptions: ParsableArguments {
    @Option(help: "The JSON configuration file (see DriverConfiguration).")
    var config: String

    @Option(help: "How to print audit events and SA changes: text (Windows event text) or json (one object a line).")
    var events: EventLineFormat = .text

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(
        help: ArgumentHelp(
            "Write the run to this directory as a vector that `authip vectors run` replays (it holds this side's secrets).",
            valueName: "DIR"))
    var record: String?

    func validate() throws {
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds.") }
    }

    /// Loads the configuration and runs the daemon; configuration errors exit with status 2,
    /// everything else that stops it from running with 1.
    func run(acquiresAtStart: Bool, stopsWhenEstablished: Bool, shards: Int = 1) throws -> DaemonRun.Outcome {
        let configuration: DriverConfiguration
        do {
            configuration = try DriverConfiguration.load(path: config)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        var run = DaemonRun(
            configuration: configuration, format: events, duration: duration.map { .milliseconds(Int64($0 * 1000)) },
            acquiresAtStart: acquiresAtStart, stopsWhenEstablished: stopsWhenEstablished)
        run.recording = record.map { (URL(fileURLWithPath: $0), config) }
        run.configurationPath = URL(fileURLWithPath: config).standardizedFileURL.path
        run.shards = shards
        if let settings = configuration.clusterSettings {
            #if canImport(AuthIPCluster)
            do {
                run.cluster = try ClusterNode(
                    settings: settings,
                    logger: Logger(label: "authip-cluster") { _ in DiagnosticLogHandler(level: configuration.logLevel) }
                )
            } catch {
                printError("error: cluster: \(error)")
                throw ExitCode(1)
            }
            #else
            printError("error: cluster: this build has no cluster layer (built with AUTHIP_WITHOUT_CLUSTER)")
            throw ExitCode(2)
            #endif
        }
        do {
            return try run.run()
        } catch let error as DriverConfigurationError {
            printError("error: \(error)")
            throw ExitCode(2)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

extension EventLineFormat: ExpressibleByArgument {}
