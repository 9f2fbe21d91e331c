import AuthIP
import AuthIPAudit
import AuthIPWire
import Foundation
import NIOConcurrencyHelpers
import Synchronization

/// A daemon's delegate without a data plane: prints each audit event and SA change on standard
/// output and each failed send on standard error, and, given a watch, reports when the
/// acquired traffic is protected or cannot be.
final class ConsoleDelegate: EndpointDriverDelegate {
    private struct State: @unchecked Sendable {
        var lines: EventLines
        var watch: EstablishmentWatch?
    }

    // A pthread lock (NIOLock), which ThreadSanitizer sees: the shards call in from their threads.
    private let state: NIOLockedValueBox<State>
    private let trail: AuditTrail?
    private let metrics: DaemonMetrics?
    private let settled: @Sendable (EstablishmentWatch.Outcome) -> Void

    /// Prints with `lines`; each audit record also goes to `trail`, and is counted in `metrics`.
    init(
        lines: EventLines, watch: EstablishmentWatch?, trail: AuditTrail? = nil, metrics: DaemonMetrics? = nil,
        settled: @escaping @Sendable (EstablishmentWatch.Outcome) -> Void
    ) {
        state = NIOLockedValueBox(State(lines: lines, watch: watch))
        self.trail = trail
        self.metrics = metrics
        self.settled = settled
    }

    func endpointDriver(_ driver: EndpointDriver, install sa: IPsecSA) {
        let (line, outcome) = state.withLockedValue { state in (state.lines.installed(sa), state.watch?.installed(sa)) }
        Console.print(line)
        if let outcome { settled(outcome) }
    }

    func endpointDriver(
        _ driver: EndpointDriver, removeSAWithSPI spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64
    ) {
        Console.print(
            state.withLockedValue { $0.lines.removed(spi: spi, direction: direction, quickModeSAID: quickModeSAID) })
    }

    func endpointDriver(_ driver: EndpointDriver, record event: AuditEvent, at time: Date) {
        metrics?.record(event)
        let (line, outcome) = state.withLockedValue { state in
            let line = Result { () throws(AuditModelError) in try state.lines.audit(event, at: time) }
            // In record order: the trail takes them under the same lock that numbers them.
            if case .success(let (record, _)) = line { trail?.submit(record) }
            return (line, state.watch?.audit(event))
        }
        switch line {
        case .success(let (_, text)): Console.print(text)
        case .failure(let error): Console.note("event \(event.descriptor.eventID) not printed: \(error)")
        }
        if let outcome { settled(outcome) }
    }

    func endpointDriver(
        _ driver: EndpointDriver, failedToSendTo destination: EndpointAddress, because error: EndpointDriverError
    ) {
        Console.note("to \(destination): \(error)")
    }

    func endpointDriver(_ driver: EndpointDriver, failedToSaveCRLCache error: EndpointDriverError) {
        Console.note("\(error)")
    }

    func endpointDriver(_ driver: EndpointDriver, calibrated calibration: Calibration) {
        Console.note("calibrated: \(calibration)")
    }
}

/// Unbuffered writes to standard output and standard error, so that lines appear as they happen
/// even through a pipe.
enum Console {
    static func print(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
