import AuthIP
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPWire
import Foundation

/// A long run of a lab: every client keeps sending traffic (every 10 virtual minutes, so that
/// expired SAs are negotiated again), Quick Mode SAs are rekeyed and Main Mode SAs expire, one
/// client an hour is blocked for 30 minutes, the network loses what the lab's conditions say;
/// then everything shuts down. Hourly it records the process's memory and the SA counts.
public struct LabSoak {
    /// The figures recorded at the end of one virtual hour.
    public struct Hour: Sendable {
        public var hour: Int
        public var residentMegabytes: Double
        public var serverMainModes: Int
        public var serverQuickModes: Int
        public var clientQuickModes: Int
        public var serverSessions: Int
    }

    public private(set) var lab: DirectAccessLab
    public private(set) var hours: [Hour] = []
    public private(set) var leftAfterShutdown = 0

    public init(_ lab: DirectAccessLab) {
        self.lab = lab
        self.lab.simulation.recordsEvents = false
    }

    public mutating func run(hours count: Int) {
        let clients = lab.clients.count
        let ticksPerHour = 6
        for tickIndex in 0..<(count * ticksPerHour) {
            // Each client's traffic, spread over the 10 minutes.
            let spacing = 600.0 / Double(max(1, clients))
            for index in 0..<clients {
                lab.connect(index, through: lab.options.tunnel)
                lab.run(for: .milliseconds(Int64(spacing * 1000)))
            }
            if tickIndex % ticksPerHour == 0, let server = lab.server {
                let victim = (tickIndex / ticksPerHour * 7_919) % clients
                let pattern = WildcardPattern("*\(DirectAccessLab.clientName(victim)).*")!
                lab.simulation.inject(
                    .block(pattern, until: lab.simulation.now.addingTimeInterval(1_800)), into: server)
            }
            if tickIndex % ticksPerHour == ticksPerHour - 1 { record(hour: tickIndex / ticksPerHour + 1) }
        }
        for index in lab.simulation.nodes.indices { lab.simulation.inject(.shutdown, into: index) }
        lab.run(for: .seconds(180))
        leftAfterShutdown = lab.simulation.nodes.reduce(0) { total, node in
            total + node.endpoint.database.mainModeCount + node.endpoint.database.quickModeCount
                + node.endpoint.sessionCount + node.installedSACount
        }
    }

    private mutating func record(hour: Int) {
        let server = lab.serverNode
        hours.append(
            Hour(
                hour: hour, residentMegabytes: Double(Self.residentBytes()) / 1_048_576,
                serverMainModes: server?.endpoint.database.mainModeCount ?? 0,
                serverQuickModes: server?.endpoint.database.quickModeCount ?? 0,
                clientQuickModes: lab.clients.reduce(0) {
                    $0 + lab.simulation.nodes[$1].endpoint.database.quickModeCount
                },
                serverSessions: server?.endpoint.sessionCount ?? 0))
    }

    /// Events of all endpoints by ID.
    public var eventCounts: [UInt16: Int] {
        lab.simulation.nodes.reduce(into: [:]) { counts, node in
            for (id, count) in node.eventCounts { counts[id, default: 0] += count }
        }
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
