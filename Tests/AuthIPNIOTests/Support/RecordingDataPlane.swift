import AuthIP
import AuthIPAudit
import AuthIPNIO
import AuthIPWire
import Foundation
import NIOConcurrencyHelpers

/// A delegate that only remembers what a driver handed it.
final class RecordingDataPlane: EndpointDriverDelegate {
    struct Record: Sendable {
        var installed: [IPsecSA] = []
        var removedSPIs: [UInt32] = []
        var eventIDs: [UInt16] = []
        var sendFailures: [String] = []
        var cacheFailures: [EndpointDriverError] = []
    }

    private let record = NIOLockedValueBox(Record())

    var snapshot: Record { record.withLockedValue { $0 } }

    func endpointDriver(_ driver: EndpointDriver, install sa: IPsecSA) {
        record.withLockedValue { $0.installed.append(sa) }
    }

    func endpointDriver(
        _ driver: EndpointDriver, removeSAWithSPI spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64
    ) {
        record.withLockedValue { $0.removedSPIs.append(spi) }
    }

    func endpointDriver(_ driver: EndpointDriver, record event: AuditEvent, at time: Date) {
        record.withLockedValue { $0.eventIDs.append(event.descriptor.eventID) }
    }

    func endpointDriver(
        _ driver: EndpointDriver, failedToSendTo destination: EndpointAddress, because error: EndpointDriverError
    ) {
        record.withLockedValue { $0.sendFailures.append("\(destination): \(error)") }
    }

    func endpointDriver(_ driver: EndpointDriver, failedToSaveCRLCache error: EndpointDriverError) {
        record.withLockedValue { $0.cacheFailures.append(error) }
    }

    func endpointDriver(_ driver: EndpointDriver, calibrated calibration: Calibration) {}
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while !condition() {
        guard Date() < deadline else { return false }
        try await Task.sleep(for: .milliseconds(20))
    }
    return true
}
