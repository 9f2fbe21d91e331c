import AuthIPAudit
import Foundation

/// Small hand-built inputs shared by the tests that are not vector-driven.
enum Fixtures {
    static let server = AuditAddress(ipv6High: 0x2002_836b_0002_0000, low: 0x0000_0000_836b_0002)
    static let client = AuditAddress(ipv6High: 0x2002_836b_0002_1000, low: 0xbc2d_58ff_fe17_a3c0)

    static func origin(_ computer: String = "DA1.corp.contoso.com") throws -> AuditOrigin {
        try AuditOrigin(computer: computer, processID: 712, threadID: 2244)
    }

    /// 4984 with the given principal names and failure.
    static func extendedModeFailed(
        local: String? = "CORP\\DA1$", remote: String? = "CORP\\alice",
        reason: FailureReason = FailureReason(.errorIpsecIkeStrongCredAuthorizationFailure)
    ) -> AuditEvent {
        .extendedModeFailed(
            ExtendedModeFailed(
                local: NegotiationPeer(principalName: local, address: server, keyingModulePort: 500),
                remote: NegotiationPeer(principalName: remote, address: client, keyingModulePort: 500),
                failure: NegotiationFailure(point: .localComputer, reason: reason),
                authenticationMethod: .kerberos, state: .sentSecondPayload, role: .responder,
                impersonation: .notEnabled,
                quickModeFilterID: 81245))
    }

    /// 4653 with the given cookies and principal names.
    static func mainModeFailed(
        initiatorCookie: UInt64 = 0x5eed_0000_0000_0001, responderCookie: UInt64 = 0,
        local: String? = nil, remote: String? = nil
    ) -> AuditEvent {
        .mainModeFailed(
            MainModeFailed(
                local: NegotiationPeer(principalName: local, address: server, keyingModulePort: 500),
                remote: NegotiationPeer(principalName: remote, address: client, keyingModulePort: 500),
                keyingModule: .authIP,
                failure: NegotiationFailure(point: .localComputer, reason: FailureReason(.errorIpsecIkeTimedOut)),
                authenticationMethod: .unknown, state: .sentFirstPayload, role: .initiator, impersonation: .notEnabled,
                filterID: 70470, initiatorCookie: initiatorCookie, responderCookie: responderCookie))
    }

    /// A record of `event` with a fixed header.
    static func record(
        _ event: AuditEvent, id: UInt64 = 1, computer: String = "DA1.corp.contoso.com"
    ) throws -> AuditRecord {
        AuditRecord(
            recordID: id, time: AuditTime(nanosecondsSinceUnixEpoch: 1_710_408_431_900_000_000),
            activityID: UUID(uuidString: "7F91B335-6082-0002-E4F5-06172839405B"), origin: try origin(computer),
            event: event)
    }

    /// The value of the EventData field `name`.
    static func value(_ name: String, of event: AuditEvent) -> String? {
        event.eventData.first { $0.name == name }?.value.storedText
    }

    /// A fresh directory under the system's temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("authip-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
