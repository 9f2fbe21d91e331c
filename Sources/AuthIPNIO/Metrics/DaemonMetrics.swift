import AuthIP
import AuthIPAudit
import CoreMetrics
import Foundation
import Prometheus

/// The daemon's figures in Prometheus form: negotiations by exchange, outcome and failure
/// code (from the audit events), invalid packets, SA and session gauges (read from the
/// endpoint at each scrape), and, through swift-metrics, the driver's timings of CRL
/// downloads, directory look-ups and domain-controller checks.
final class DaemonMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    /// A registry that swift-metrics reports into as well (the process's metrics system is
    /// bootstrapped with it once; a second daemon in the same process keeps the first's).
    init() {
        registry = PrometheusCollectorRegistry()
        Bootstrapper.once(registry)
    }

    /// Counts an audit event.
    func record(_ event: AuditEvent) {
        let id = event.descriptor.eventID
        registry.makeCounter(
            name: "authip_audit_events_total", labels: [("event", String(id))],
            help: "Audit events written, by Windows event ID."
        ).increment()
        guard let (exchange, established) = Self.negotiation(id) else { return }
        var labels = [("exchange", exchange), ("outcome", established ? "established" : "failed")]
        labels.append(("code", event.failureCode.map { String($0.code) } ?? ""))
        registry.makeCounter(
            name: "authip_negotiations_total", labels: labels,
            help: "Negotiations that ended, by exchange, outcome and Windows failure code."
        ).increment()
    }

    /// The exchange and outcome an event reports, if it ends a negotiation.
    static func negotiation(_ eventID: UInt16) -> (String, Bool)? {
        switch eventID {
        case 4650, 4651: return ("main_mode", true)
        case 4652, 4653: return ("main_mode", false)
        case 4979, 4980, 4981, 4982: return ("extended_mode", true)
        case 4983, 4984: return ("extended_mode", false)
        case 5451: return ("quick_mode", true)
        case 4654: return ("quick_mode", false)
        default: return nil
        }
    }

    /// Sets the gauges from the endpoint (on its loop).
    static func gauges(of endpoint: borrowing Endpoint) -> [(String, String, Double)] {
        [
            ("authip_main_mode_sas", "Main Mode SAs in the database.", Double(endpoint.database.mainModeCount)),
            ("authip_quick_mode_sas", "Quick Mode SAs in the database.", Double(endpoint.database.quickModeCount)),
            (
                "authip_sessions", "Main Modes the engine holds, negotiating or established.",
                Double(endpoint.sessionCount)
            ),
            (
                "authip_negotiations_in_progress", "Main Modes negotiating (the half-open count).",
                Double(endpoint.negotiationsInProgress)
            ),
            ("authip_dos_cookie_mode", "1 while DoS-cookie mode is on.", endpoint.isInDenialOfServiceMode ? 1 : 0),
            (
                "authip_blocks", "Identity patterns on the block list.",
                Double(endpoint.blockList.entries.count)
            ),
            (
                "authip_tls_starts_rate_limited", "TLS starts dropped for their peer's rate, since start.",
                Double(endpoint.rateLimitedTLSStarts)
            ),
        ]
    }

    /// The daemon's gauges from its shards': the block list and DoS-cookie mode are every
    /// shard's (the largest), the counts add up.
    static func merged(_ shards: [[(String, String, Double)]]) -> [(String, String, Double)] {
        shards[0].indices.map { index in
            let (name, help, _) = shards[0][index]
            let values = shards.map { $0[index].2 }
            let shared = name == "authip_dos_cookie_mode" || name == "authip_blocks"
            return (name, help, shared ? values.max() ?? 0 : values.reduce(0, +))
        }
    }

    func set(_ gauges: [(String, String, Double)]) {
        for (name, help, value) in gauges { registry.makeGauge(name: name, help: help).set(to: value) }
    }

    /// The Prometheus text exposition of every figure.
    func exposition() -> String { registry.emitToString() }
}

/// Bootstraps swift-metrics with the first daemon's registry, once per process.
private enum Bootstrapper {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done = false

    static func once(_ registry: PrometheusCollectorRegistry) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}

extension CoreMetrics.Timer {
    /// Records the time since `start`.
    func recordElapsed(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
