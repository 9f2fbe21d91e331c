import AuthIP
import AuthIPAudit

/// Tells when the traffic an initiator acquired is protected, or why it will not be: each
/// request is done once an outbound SA that carries it is installed; a failed Main Mode,
/// Extended Mode or Quick Mode (a retry that succeeds logs none) ends the wait.
struct EstablishmentWatch {
    enum Outcome: Equatable {
        case established
        case failed(String)
    }

    private var waiting: [TrafficRequest]

    init(_ requests: [TrafficRequest]) { waiting = requests }

    mutating func installed(_ sa: IPsecSA) -> Outcome? {
        guard sa.direction == .outbound, !waiting.isEmpty else { return nil }
        waiting.removeAll {
            sa.source.matches($0.source, ipProtocol: $0.ipProtocol, port: $0.sourcePort)
                && sa.destination.matches($0.destination, ipProtocol: $0.ipProtocol, port: $0.destinationPort)
        }
        return waiting.isEmpty ? .established : nil
    }

    func audit(_ event: AuditEvent) -> Outcome? {
        switch event {
        case .mainModeFailed, .mainModeFailedWithCertificates, .extendedModeFailed, .extendedModeFailedWithCertificates,
            .quickModeFailed, .keyingModulesNotStarted:
            let reason = event.eventData.first { $0.name == "FailureReason" }?.value.displayText
            return .failed("event \(event.descriptor.eventID)" + (reason.map { ": \($0)" } ?? ""))
        default:
            return nil
        }
    }
}
