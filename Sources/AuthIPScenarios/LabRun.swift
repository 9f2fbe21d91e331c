import AuthIP
import AuthIPAudit
import AuthIPErrors
import AuthIPSimulation
import AuthIPWire
import Foundation

/// A whole lab run for `authip simulate`: every client connects (staggered), the run goes on
/// until each has an outcome, then everything shuts down; the outcomes, latencies and what is
/// left are measured.
public struct LabRun {
    /// How one client ended.
    public struct ClientResult: Sendable {
        public var outcome: Fault.Outcome?
        /// From the client's first packet to its QM SA, in virtual seconds.
        public var setupSeconds: Double?
    }

    /// A flood of Main Mode #1s from spoofed addresses while the clients connect.
    public struct Flood: Sendable {
        public var packets: Int
        public var sources: Int
        public init(packets: Int, sources: Int) {
            self.packets = packets
            self.sources = sources
        }
    }

    public private(set) var lab: DirectAccessLab
    public private(set) var results: [ClientResult] = []
    /// SAs, negotiations and data-plane SAs left after shutdown, over all endpoints.
    public private(set) var leftAfterShutdown = 0
    /// With a flood: the most sessions the server held, and whether it entered and left DoS mode.
    public private(set) var peakServerSessions = 0
    public private(set) var denialOfServiceEntered = false
    public private(set) var denialOfServiceLeft = false
    let flood: Flood?

    public init(_ lab: DirectAccessLab, flood: Flood? = nil) {
        self.lab = lab
        self.flood = flood
    }

    public mutating func run() {
        var startTimes: [Date] = []
        let template = flood.flatMap { _ in floodTemplate() }
        let floodPerClient = flood.map { $0.packets / max(1, lab.clients.count) } ?? 0
        var floodSent = 0
        for index in lab.clients.indices {
            startTimes.append(lab.simulation.now)
            lab.connect(index, through: lab.options.tunnel)
            if let flood, let template, let server = lab.server {
                let count = index == lab.clients.count - 1 ? flood.packets - floodSent : floodPerClient
                for _ in 0..<max(0, count) {
                    floodSent += 1
                    var bytes = template.bytes
                    for byte in 0..<8 {
                        bytes[byte] = UInt8(
                            truncatingIfNeeded: (UInt64(floodSent) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(8 * byte))
                    }
                    let source = EndpointAddress(
                        .v6(IPv6Address(high: 0x2001_0db8_0bad_0000, low: UInt64(floodSent % flood.sources) + 1)))
                    lab.simulation.inject(.datagram(bytes, from: source, to: template.to), into: server)
                }
                peakServerSessions = max(peakServerSessions, lab.serverNode?.endpoint.sessionCount ?? 0)
            }
            lab.run(for: lab.options.stagger)
            peakServerSessions = max(peakServerSessions, lab.serverNode?.endpoint.sessionCount ?? 0)
        }
        // Long enough for every retransmission and timeout to play out.
        lab.run(for: .seconds(180))
        results = lab.clients.indices.map { index in
            let node = lab.clientNode(index)
            if let established = node.events.first(where: { $0.event.descriptor.eventID == 5451 }) {
                return ClientResult(
                    outcome: .established, setupSeconds: established.time.timeIntervalSince(startTimes[index]))
            }
            let failure = node.events.lazy.compactMap { entry -> Fault.Outcome? in
                entry.event.failureCode.map { .failed(event: entry.event.descriptor.eventID, code: $0) }
            }.first
            return ClientResult(outcome: failure, setupSeconds: nil)
        }
        if flood != nil, let server = lab.serverNode {
            let modes = server.events.compactMap { entry -> DoSPreventionNotification? in
                if case .dosPreventionModeChanged(let change) = entry.event { return change }
                return nil
            }
            denialOfServiceEntered = modes.contains(.started)
            denialOfServiceLeft = modes.last == .stopped && !server.endpoint.isInDenialOfServiceMode
        }
        for index in lab.simulation.nodes.indices { lab.simulation.inject(.shutdown, into: index) }
        lab.run(for: .seconds(120))
        leftAfterShutdown = lab.simulation.nodes.reduce(0) { total, node in
            total + node.endpoint.database.mainModeCount + node.endpoint.database.quickModeCount
                + node.endpoint.sessionCount + node.installedSACount
        }
    }

    /// Whether every client ended as the fault says it should, and nothing was left; under a
    /// flood, also that DoS mode engaged and ended.
    public var behavedAsExpected: Bool {
        let expected = lab.options.fault.expectedOutcome(lab.options.tunnel)
        let floodHandled = flood == nil || (denialOfServiceEntered && denialOfServiceLeft)
        return results.allSatisfy { $0.outcome == expected } && leftAfterShutdown == 0 && floodHandled
    }

    /// A real #1 of the first client (from a twin of its endpoint), whose cookies the flood varies.
    func floodTemplate() -> (bytes: [UInt8], to: EndpointAddress)? {
        var twin = lab.clientNode(0).endpoint
        let outputs = twin.handle(
            .acquire(
                TrafficRequest(
                    source: lab.clientAddresses[0], destination: DirectAccessLab.destination(lab.options.tunnel))),
            now: lab.simulation.now)
        for case .send(let bytes, _, let to) in outputs { return (bytes, to) }
        return nil
    }

    /// The one-line summary: clients, established, failed, failures by code, setup latency
    /// p50/p99 (virtual ms), SAs left after shutdown.
    public var summary: [(String, String)] {
        let established = results.filter { $0.outcome == .established }.count
        var byCode: [UInt32: Int] = [:]
        for result in results {
            if case .failed(_, let code)? = result.outcome { byCode[code.code, default: 0] += 1 }
        }
        let latencies = results.compactMap(\.setupSeconds).sorted()
        func percentile(_ p: Double) -> String {
            guard !latencies.isEmpty else { return "null" }
            let index = min(latencies.count - 1, Int((Double(latencies.count - 1) * p).rounded(.up)))
            return String(Int(latencies[index] * 1000))
        }
        let failures = byCode.keys.sorted().map { "\"\($0)\": \(byCode[$0]!)" }.joined(separator: ", ")
        let floodFields: [(String, String)] =
            flood.map { flood in
                [
                    ("flood_packets", String(flood.packets)), ("flood_sources", String(flood.sources)),
                    ("server_sessions_peak", String(peakServerSessions)),
                    ("dos_mode_entered", String(denialOfServiceEntered)),
                    ("dos_mode_left", String(denialOfServiceLeft)),
                ]
            } ?? []
        return floodFields + [
            ("clients", String(results.count)), ("established", String(established)),
            ("failed", String(results.count - established)), ("failures_by_reason", "{\(failures)}"),
            ("setup_ms_p50", percentile(0.5)), ("setup_ms_p99", percentile(0.99)),
            ("sa_left", String(leftAfterShutdown)),
            ("expected", "\"\(lab.options.fault.expectedOutcome(lab.options.tunnel).text)\""),
            ("as_expected", String(behavedAsExpected)),
        ]
    }
}

extension Fault.Outcome {
    var text: String {
        switch self {
        case .established: return "established"
        case .failed(let event, let code): return "\(event) \(code.name)"
        }
    }
}
