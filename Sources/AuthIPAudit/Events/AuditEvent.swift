/// An IPsec negotiation audit event, one case per Windows event ID.
public enum AuditEvent: Hashable, Sendable {
    /// 4646: IKE/AuthIP DoS-prevention mode started or stopped.
    case dosPreventionModeChanged(DoSPreventionNotification)
    /// 4650
    case mainModeEstablished(MainModeEstablished)
    /// 4651
    case mainModeEstablishedWithCertificates(MainModeEstablishedWithCertificates)
    /// 4652
    case mainModeFailedWithCertificates(MainModeFailedWithCertificates)
    /// 4653
    case mainModeFailed(MainModeFailed)
    /// 4654
    case quickModeFailed(QuickModeFailed)
    /// 4655
    case mainModeEnded(MainModeEnded)
    /// 4976
    case invalidMainModePacket(InvalidNegotiationPacket)
    /// 4977
    case invalidQuickModePacket(InvalidNegotiationPacket)
    /// 4978
    case invalidExtendedModePacket(InvalidNegotiationPacket)
    /// 4979
    case extendedModeEstablished(ExtendedModeEstablished)
    /// 4980
    case extendedModeEstablishedWithExtendedModeCertificates(ExtendedModeEstablishedWithExtendedModeCertificates)
    /// 4981
    case extendedModeEstablishedWithMainModeCertificates(ExtendedModeEstablishedWithMainModeCertificates)
    /// 4982
    case extendedModeEstablishedWithCertificates(ExtendedModeEstablishedWithCertificates)
    /// 4983
    case extendedModeFailedWithCertificates(ExtendedModeFailedWithCertificates)
    /// 4984
    case extendedModeFailed(ExtendedModeFailed)
    /// 5451
    case quickModeEstablished(QuickModeEstablished)
    /// 5452
    case quickModeEnded(QuickModeEnded)
    /// 5453: a negotiation failed because the IKE and AuthIP keying module service is not
    /// running.
    case keyingModulesNotStarted

    /// The manifest entry of this event: ID, version, task, keywords, fields, message.
    public var descriptor: AuditEventDescriptor { parts.descriptor }

    /// The EventData fields in the manifest's order, each with its value.
    public var eventData: [(name: String, value: AuditValue)] {
        let parts = self.parts
        return zip(parts.descriptor.fields, parts.values).map { ($0.name, $1) }
    }

    /// The values in field order, with their descriptor.
    var parts: (descriptor: AuditEventDescriptor, values: [AuditValue]) {
        switch self {
        case .dosPreventionModeChanged(let change): return (.event4646, [.parameter(change)])
        case .mainModeEstablished(let event): return (.event4650, event.auditValues)
        case .mainModeEstablishedWithCertificates(let event): return (.event4651, event.auditValues)
        case .mainModeFailedWithCertificates(let event): return (.event4652, event.auditValues)
        case .mainModeFailed(let event): return (.event4653, event.auditValues)
        case .quickModeFailed(let event): return (.event4654, event.auditValues)
        case .mainModeEnded(let event): return (.event4655, event.auditValues)
        case .invalidMainModePacket(let event): return (.event4976, event.auditValues)
        case .invalidQuickModePacket(let event): return (.event4977, event.auditValues)
        case .invalidExtendedModePacket(let event): return (.event4978, event.auditValues)
        case .extendedModeEstablished(let event): return (.event4979, event.auditValues)
        case .extendedModeEstablishedWithExtendedModeCertificates(let event): return (.event4980, event.auditValues)
        case .extendedModeEstablishedWithMainModeCertificates(let event): return (.event4981, event.auditValues)
        case .extendedModeEstablishedWithCertificates(let event): return (.event4982, event.auditValues)
        case .extendedModeFailedWithCertificates(let event): return (.event4983, event.auditValues)
        case .extendedModeFailed(let event): return (.event4984, event.auditValues)
        case .quickModeEstablished(let event): return (.event5451, event.auditValues)
        case .quickModeEnded(let event): return (.event5452, event.auditValues)
        case .keyingModulesNotStarted: return (.event5453, [])
        }
    }
}
