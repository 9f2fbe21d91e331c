import AuthIPJSON
import Foundation

/// What a load run measured, printed by `authip load` as one JSON object.
public struct LoadSummary: Sendable {
    public let started: Int
    public let established: Int
    /// Failed tunnels by `EVENT/CODE` of the client's failure event, or `timeout`.
    public let failures: [String: Int]
    /// Starts skipped because every identity's tunnel was still up.
    public let skipped: Int
    /// Established tunnels a second, from the first start to the last establishment.
    public let tunnelsPerSecond: Double
    /// Setup latencies (acquire to both SAs installed), milliseconds.
    public let setupMilliseconds: (p50: Double, p99: Double, max: Double)
    /// The responder's CPU seconds over the run, and per established tunnel in microseconds.
    public let responderCPUSeconds: Double?
    public let responderCPUMicrosecondsPerTunnel: Double?
    /// With `hold`, the responder's CPU per tunnel up to the moment every tunnel was up (its
    /// setup alone, the closes not yet begun), microseconds.
    public let responderSetupCPUMicrosecondsPerTunnel: Double?
    /// The responder's resident memory before the run and with the tunnels held, and the
    /// difference per held tunnel.
    public let responderResidentBytes: (before: Int, held: Int)?
    public let heldTunnels: Int
    public let residentBytesPerTunnel: Double?
    /// The responder's resident memory every `sampleInterval` while tunnels started.
    public var residentBytesSamples: [Int] { samples.map(\.residentBytes) }
    let samples: [ProcessAccounting.Sample]
    let options: LoadGenerator.Options
    let floodSent: Int
    let floodSources: Int

    init(
        options: LoadGenerator.Options, started: Int, established: Int, failures: [String: Int], skipped: Int,
        latencies: [Duration], firstStart: ContinuousClock.Instant?, lastEstablished: ContinuousClock.Instant?,
        before: ProcessAccounting.Sample?, held: ProcessAccounting.Sample?, after: ProcessAccounting.Sample?,
        heldTunnels: Int, samples: [ProcessAccounting.Sample], floodSent: Int, floodSources: Int
    ) {
        self.samples = samples
        self.options = options
        self.started = started
        self.established = established
        self.failures = failures
        self.skipped = skipped
        self.heldTunnels = heldTunnels
        self.floodSent = floodSent
        self.floodSources = floodSources
        if let firstStart, let lastEstablished, lastEstablished > firstStart {
            tunnelsPerSecond = Double(established) / (lastEstablished - firstStart).seconds
        } else {
            tunnelsPerSecond = 0
        }
        let sorted = latencies.map { $0.seconds * 1000 }.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        setupMilliseconds = (percentile(0.5), percentile(0.99), sorted.last ?? 0)
        if let before, let after {
            responderCPUSeconds = after.cpuSeconds - before.cpuSeconds
            responderCPUMicrosecondsPerTunnel =
                established > 0 ? (after.cpuSeconds - before.cpuSeconds) / Double(established) * 1e6 : nil
        } else {
            responderCPUSeconds = nil
            responderCPUMicrosecondsPerTunnel = nil
        }
        if let before, let held, options.hold != nil, established > 0, heldTunnels == established {
            responderSetupCPUMicrosecondsPerTunnel = (held.cpuSeconds - before.cpuSeconds) / Double(established) * 1e6
        } else {
            responderSetupCPUMicrosecondsPerTunnel = nil
        }
        if let before, let held {
            responderResidentBytes = (before.residentBytes, held.residentBytes)
            residentBytesPerTunnel =
                heldTunnels > 0 ? Double(held.residentBytes - before.residentBytes) / Double(heldTunnels) : nil
        } else {
            responderResidentBytes = nil
            residentBytesPerTunnel = nil
        }
    }

    /// Failed tunnels, every reason together.
    public var failed: Int { failures.values.reduce(0, +) }

    public var json: JSONValue {
        func rounded(_ value: Double) -> JSONValue { .double((value * 1000).rounded() / 1000) }
        var members: [(String, JSONValue)] = [
            ("tunnel", .string(options.tunnel.rawValue)), ("clients", .number(options.clients)),
            ("rate", rounded(options.rate)), ("duration", rounded(options.duration.seconds)),
            ("hold", options.hold.map { rounded($0.seconds) } ?? .null),
            ("started", .number(started)), ("established", .number(established)), ("failed", .number(failed)),
            ("skipped", .number(skipped)), ("tunnelsPerSecond", rounded(tunnelsPerSecond)),
            (
                "setupMilliseconds",
                .object([
                    ("p50", rounded(setupMilliseconds.p50)), ("p99", rounded(setupMilliseconds.p99)),
                    ("max", rounded(setupMilliseconds.max)),
                ])
            ),
            ("failures", .object(failures.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
        ]
        if let pid = options.responderPID {
            var responder: [(String, JSONValue)] = [("pid", .number(pid))]
            if let responderCPUSeconds { responder.append(("cpuSeconds", rounded(responderCPUSeconds))) }
            if let responderCPUMicrosecondsPerTunnel {
                responder.append(("cpuMicrosecondsPerTunnel", rounded(responderCPUMicrosecondsPerTunnel)))
            }
            if let responderSetupCPUMicrosecondsPerTunnel {
                responder.append(("setupCPUMicrosecondsPerTunnel", rounded(responderSetupCPUMicrosecondsPerTunnel)))
            }
            if let responderResidentBytes {
                responder.append(("residentBytesBefore", .number(responderResidentBytes.before)))
                responder.append(("residentBytesHeld", .number(responderResidentBytes.held)))
                responder.append(("heldTunnels", .number(heldTunnels)))
            }
            if let residentBytesPerTunnel {
                responder.append(("residentBytesPerTunnel", rounded(residentBytesPerTunnel)))
            }
            if !samples.isEmpty {
                responder.append(("residentBytesSamples", .array(residentBytesSamples.map { .number($0) })))
            }
            members.append(("responder", .object(responder)))
        }
        if options.flood != nil {
            members.append(("flood", .object([("datagrams", .number(floodSent)), ("sources", .number(floodSources))])))
        }
        return .object(members)
    }
}
