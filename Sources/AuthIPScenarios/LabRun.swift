import AuthIP
import AuthIPAudit
import AuthIPErrors
import AuthIPSimulation
import Foundation

/// A whole lab run for `authip simulate`: every client connects (staggered), the run goes on
/// until each has an outcome, then everything shuts down; the outcomes, latencies and what is
/// left are measured.
public struct LabRun {
    public struct ClientResult: Sendable {
        public var outcome: Fault.Outcome?
        /// From the client's first packet to its QM SA, in virtual seconds.
        public var setupSeconds: Double?
    }

    public private(set) var lab: DirectAccessLab
    public private(set) var results: [ClientResult] = []
    /// SAs, negotiations and data-plane SAs left after shutdown, over all endpoints.
    public private(set) var leftAfterShutdown = 0

    public init(_ lab: DirectAccessLab) { self.lab = lab }

    public mutating func run() {
        var startTimes: [Date] = []
        for index in lab.clients.indices {
            startTimes.append(lab.simulation.now)
            lab.connect(index, through: lab.options.tunnel)
            lab.run(for: lab.options.stagger)
        }
        // Long enough for every retransmission and timeout to play out.
        lab.run(for: .seconds(180))
        results = lab.clients.indices.map { index in
            let node = lab.clientNode(index)
            if let established = node.events.first(where: { $0.event.descriptor.eventID == 5451 }) {
                return ClientResult(outcome: .established, setupSeconds: established.time.timeIntervalSince(startTimes[index]))
            }
            let failure = node.events.lazy.compactMap { entry -> Fault.Outcome? in
                entry.event.failureCode.map { .failed(event: entry.event.descriptor.eventID, code: $0) }
            }.first
            return ClientResult(outcome: failure, setupSeconds: nil)
        }
        for index in lab.simulation.nodes.indices { lab.simulation.inject(.shutdown, into: index) }
        lab.run(for: .seconds(120))
        leftAfterShutdown = lab.simulation.nodes.reduce(0) { total, node in
            total + node.endpoint.database.mainModeCount + node.endpoint.database.quickModeCount + node.endpoint.sessionCount + node.installedSACount
        }
    }

    /// Whether every client ended as the fault says it should, and nothing was left.
    public var behavedAsExpected: Bool {
        let expected = lab.options.fault.expectedOutcome(lab.options.tunnel)
        return results.allSatisfy { $0.outcome == expected } && leftAfterShutdown == 0
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
        return [("clients", String(results.count)), ("established", String(established)),
                ("failed", String(results.count - established)), ("failures_by_reason", "{\(failures)}"),
                ("setup_ms_p50", percentile(0.5)), ("setup_ms_p99", percentile(0.99)), ("sa_left", String(leftAfterShutdown)),
                ("expected", "\"\(lab.options.fault.expectedOutcome(lab.options.tunnel).text)\""), ("as_expected", String(behavedAsExpected))]
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

extension AuditEvent {
    /// The failure code of a failure event (4652–4654, 4983, 4984), or nil.
    public var failureCode: WindowsError? {
        switch self {
        case .mainModeFailed(let event): return event.failure.reason.error
        case .mainModeFailedWithCertificates(let event): return event.negotiation.failure.reason.error
        case .quickModeFailed(let event): return event.failure.reason.error
        case .extendedModeFailed(let event): return event.failure.reason.error
        case .extendedModeFailedWithCertificates(let event): return event.failure.reason.error
        default: return nil
        }
    }
}
