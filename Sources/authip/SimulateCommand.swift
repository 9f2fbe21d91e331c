import ArgumentParser
import AuthIPAudit
import AuthIPJSON
import AuthIPScenarios
import AuthIPSimulation
import Foundation

/// `authip simulate`: a DirectAccess server and N clients on the simulated network, with a
/// fault; the events of every endpoint on stdout, a one-line JSON summary on stderr.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a DirectAccess server and N clients on a simulated network, with a fault, and report.")

    @Option(help: "infrastructure or intranet.")
    var tunnel: Tunnel = .infrastructure
    @Option(help: "How many clients connect.")
    var clients = 10
    @Option(help: "Probability that a datagram is lost.")
    var loss = 0.0
    @Option(help: "Probability that a datagram is duplicated.")
    var duplicate = 0.0
    @Option(help: "Probability that a datagram is held back behind later ones.")
    var reorder = 0.0
    @Option(help: "The seed of the network and of every endpoint.")
    var seed: UInt64 = 1
    @Option(
        help:
            "none, silent-responder, revoked-cert, cdp-offline, disabled-computer, disabled-user, wrong-password, blocked, no-health-cert, no-smartcard, no-proposal."
    )
    var fault: Fault = .none
    @Option(help: "xml (one Windows event per line), text, json or none.")
    var events: EventFormat = .xml
    @Option(help: "Main Mode #1s from spoofed addresses sent at the server while the clients connect.")
    var flood = 0
    @Option(help: "How many spoofed addresses the flood comes from.")
    var floodSources = 10_000
    @Option(
        help: "Soak: run this many virtual hours of traffic, rekeys, expiries, blocks and unblocks, then report hourly."
    )
    var hours = 0

    func validate() throws {
        guard clients >= 1, clients <= 100_000 else { throw ValidationError("--clients must be between 1 and 100000") }
        guard hours >= 0, hours <= 24 * 30 else { throw ValidationError("--hours must be between 0 and 720") }
        guard flood >= 0, floodSources >= 1 else {
            throw ValidationError("--flood must be 0 or more, --flood-sources at least 1")
        }
        for (name, value) in [("loss", loss), ("duplicate", duplicate), ("reorder", reorder)]
        where !(0...1).contains(value) {
            throw ValidationError("--\(name) must be a probability between 0 and 1")
        }
    }

    func run() throws {
        let realm = tunnel == .intranet ? try KerberosRealm.shared.get() : nil
        let pki = try ThrowawayPKI(now: DirectAccessLab.start)
        let lab = try DirectAccessLab(
            DirectAccessLab.Options(
                clients: clients, fault: fault, tunnel: tunnel, seed: seed,
                conditions: NetworkConditions(
                    loss: loss, duplication: duplicate, reordering: reorder, latency: .milliseconds(20),
                    jitter: .milliseconds(10))),
            pki: pki, realm: realm)
        if hours > 0 {
            var soak = LabSoak(lab)
            soak.run(hours: hours)
            for hour in soak.hours {
                printError(
                    "{\"hour\": \(hour.hour), \"rss_mb\": \(Int(hour.residentMegabytes)), \"server_mm_sa\": \(hour.serverMainModes), "
                        + "\"server_qm_sa\": \(hour.serverQuickModes), \"client_qm_sa\": \(hour.clientQuickModes), \"server_sessions\": \(hour.serverSessions)}"
                )
            }
            let counts = soak.eventCounts.keys.sorted().map { "\"\($0)\": \(soak.eventCounts[$0]!)" }.joined(
                separator: ", ")
            printError(
                "{\"clients\": \(clients), \"hours\": \(hours), \"events\": {\(counts)}, \"sa_left\": \(soak.leftAfterShutdown)}"
            )
            if soak.leftAfterShutdown != 0 { throw ExitCode(1) }
            return
        }
        var run = LabRun(lab, flood: flood > 0 ? LabRun.Flood(packets: flood, sources: floodSources) : nil)
        run.run()
        try EventPrinter(format: events).print(run.lab.simulation)
        printError("{" + run.summary.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        if !run.behavedAsExpected { throw ExitCode(1) }
    }
}

extension Tunnel: ExpressibleByArgument {}
extension Fault: ExpressibleByArgument {}

/// How events are printed.
enum EventFormat: String, ExpressibleByArgument {
    case xml, text, json, none
}

/// Prints the events of every endpoint of a simulation in time order, each recorded with its
/// endpoint's name as the computer.
struct EventPrinter {
    var format: EventFormat

    func print(_ simulation: Simulation) throws {
        guard format != .none else { return }
        var recorders: [String: AuditRecorder] = [:]
        var entries: [(time: Date, node: String, order: Int, event: AuditEvent)] = []
        for node in simulation.nodes {
            for (order, entry) in node.events.enumerated() {
                entries.append((entry.time, node.name, order, entry.event))
            }
        }
        entries.sort { ($0.time, $0.node, $0.order) < ($1.time, $1.node, $1.order) }
        var output = ""
        for entry in entries {
            if recorders[entry.node] == nil {
                recorders[entry.node] = AuditRecorder(
                    origin: try AuditOrigin(computer: entry.node, processID: 4, threadID: 0))
            }
            let time = AuditTime(nanosecondsSinceUnixEpoch: Int64(entry.time.timeIntervalSince1970 * 1e9))
            let record = try recorders[entry.node]!.record(entry.event, at: time)
            switch format {
            case .xml: output += record.windowsXML + "\n"
            case .json: output += record.json.compactText + "\n"
            case .text:
                output +=
                    "\(entry.node) \(record.time.systemTime) \(entry.event.descriptor.eventID)\n\(entry.event.message)\n\n"
            case .none: break
            }
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
