import ArgumentParser
import AuthIPLoad
import AuthIPWire
import Foundation

/// `authip load`: many DirectAccess clients from one process against a running responder over
/// real UDP, with a JSON summary; `authip load prepare` issues the run's PKI and directory.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive a responder with many DirectAccess clients over UDP and print what it measured as JSON.",
        discussion: """
            `authip load prepare DIR --clients N` writes a throw-away PKI, directory, server configuration \
            (DIR/server.json) and client template (DIR/client.json); start `authip responder --config DIR/server.json`, \
            then `authip load --config DIR/client.json …`. The addresses are 6to4 addresses that must be local: \
            scripts/load-bench.sh runs everything in a network namespace with `ip -6 route add local 2002::/16 dev lo`. \
            Exit status: 0 every tunnel established, 1 some failed, 2 usage or template errors.
            """,
        subcommands: [Run.self, Prepare.self], defaultSubcommand: Run.self)

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Run the clients (the default).")

        @Option(help: "The client template (authip load prepare writes DIR/client.json).")
        var config: String

        @Option(help: "Client identities to use, from the first (default: all the template's).")
        var clients: Int?

        @Option(help: "New tunnels a second.")
        var rate: Double = 10

        @Option(help: "Seconds during which new tunnels start.")
        var duration: Double = 10

        @Option(
            help: "The tunnel each client negotiates: infrastructure (NTLMv2 in Extended Mode) or intranet (Kerberos).")
        var tunnel: LoadGenerator.Tunnel = .infrastructure

        @Option(
            help: ArgumentHelp(
                "Keep each tunnel up this many seconds, then close it and let its identity connect again (default: close at once).",
                valueName: "SECONDS"))
        var hold: Double?

        @Option(help: "The responder's process ID: its CPU time and memory go into the summary.")
        var responderPID: Int32?

        @Option(help: "Seconds between samples of the responder's memory during the run.")
        var sampleInterval: Double = 60

        @Option(help: "Threads the clients run on (default: the number of cores).")
        var threads: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: "Also send this many Main Mode #1s with random cookies, none of which goes further.")
        var flood: Int = 0

        @Option(help: "The flood's source addresses (6to4 addresses from 198.19.0.1 on).")
        var floodSources: Int = 1_000

        @Option(help: "The flood's datagrams a second.")
        var floodRate: Double = 20_000

        func validate() throws {
            guard rate > 0, duration > 0 else { throw ValidationError("--rate and --duration must be positive.") }
            if let clients, clients < 1 { throw ValidationError("--clients must be at least 1.") }
            if let hold, hold < 0 { throw ValidationError("--hold must not be negative.") }
            guard threads >= 1, flood >= 0, floodSources >= 1, floodRate > 0 else {
                throw ValidationError(
                    "--threads and --flood-sources must be at least 1, --flood-rate positive, --flood not negative.")
            }
        }

        func run() throws {
            let template: LoadTemplate
            var options: LoadGenerator.Options
            do {
                template = try LoadTemplate(path: config)
                let clients = min(self.clients ?? template.clients, template.clients)
                options = LoadGenerator.Options(
                    clients: clients, rate: rate, duration: .milliseconds(Int64(duration * 1000)))
                options.tunnel = tunnel
                options.hold = hold.map { .milliseconds(Int64($0 * 1000)) }
                options.responderPID = responderPID
                options.sampleInterval = .milliseconds(Int64(max(1, sampleInterval) * 1000))
                options.threads = threads
                if flood > 0 {
                    let sources = (0..<floodSources).map { index in
                        IPAddress.v6(.sixToFour(IPv4Address(IPv4Address(198, 19, 0, 1).value &+ UInt32(index))))
                    }
                    var attack = try FirstMessageFlood(template: template, datagrams: flood, sources: sources)
                    attack.rate = floodRate
                    options.flood = attack
                }
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            let summary = try LoadGenerator(template: template, options: options).run()
            print(summary.json.compactText)
            if summary.failed > 0 || summary.established == 0 { throw ExitCode(1) }
        }
    }

    struct Prepare: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prepare", abstract: "Issue a load run's PKI, directory and configurations into a directory.")

        @Argument(help: "The directory to write (made if missing).")
        var directory: String

        @Option(help: "How many client identities to issue.")
        var clients: Int = 100

        @Flag(help: "RSA-2048 client keys, as authip-bench's infrastructure figures use (default: ECDSA P-256).")
        var rsa = false

        @Option(help: "The server's IKE port; NAT-T is the next one.")
        var port: UInt16 = 500

        func validate() throws {
            guard (1...99_999).contains(clients) else { throw ValidationError("--clients must be 1 to 99999.") }
        }

        func run() throws {
            var preparation = LoadPreparation(
                directory: URL(fileURLWithPath: directory), clients: clients, rsaClients: rsa)
            preparation.port = port
            do {
                try preparation.write()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            print("prepared \(clients) clients in \(directory): authip responder --config \(directory)/server.json")
        }
    }
}

extension LoadGenerator.Tunnel: ExpressibleByArgument {}
