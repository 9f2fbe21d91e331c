/// Where and why a negotiation failed (`FailurePoint`, `FailureReason`).
public struct NegotiationFailure: Hashable, Sendable {
    public var point: FailurePoint
    public var reason: FailureReason

    public init(point: FailurePoint, reason: FailureReason) {
        self.point = point
        self.reason = reason
    }

    var auditValues: [AuditValue] { [.parameter(point), .text(reason.text)] }
}
