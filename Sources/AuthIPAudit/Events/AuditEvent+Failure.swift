import AuthIPErrors

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
