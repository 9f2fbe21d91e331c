// authip-audit-writer LOG COUNT [BATCH]
//
// Appends COUNT records, BATCH (default 1) per group commit, to the durable audit log LOG, continuing its record numbering, and
// after each append returns prints, for each record it acknowledged, "<EventRecordID>\t<the JSON line written>" on standard
// output, unbuffered: every line printed is a record the log has acknowledged. The crash
// test kills this process mid-stream and checks the file against what was printed. When
// opening the log recovered a torn tail, "dropped <bytes>" goes to standard error first.
// Exit status: 0 done, 1 log error, 2 usage.

import AuthIPAudit
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func writeAll(_ descriptor: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
        let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, bytes.count - done) }
        if count > 0 { done += count } else if count < 0, errno == EINTR { continue } else { exit(1) }
    }
}

func fail(_ message: String, status: Int32) -> Never {
    writeAll(2, "authip-audit-writer: \(message)\n")
    exit(status)
}

/// A deterministic event for a record ID, cycling through a main mode failure, a quick mode
/// SA and an extended mode authorization failure.
func sampleEvent(_ id: UInt64) -> AuditEvent {
    let client = AuditAddress(ipv6High: 0x2001_0db8_0001_1000, low: id)
    let server = AuditAddress(ipv6High: 0x2002_836b_0002_0000, low: 0x0000_0000_836b_0002)
    switch id % 3 {
    case 0:
        return .mainModeFailed(
            MainModeFailed(
                local: NegotiationPeer(principalName: nil, address: server, keyingModulePort: 500),
                remote: NegotiationPeer(principalName: nil, address: client, keyingModulePort: 500),
                keyingModule: .authIP,
                failure: NegotiationFailure(point: .localComputer, reason: FailureReason(.errorIpsecIkeTimedOut)),
                authenticationMethod: .unknown, state: .sentFirstPayload, role: .responder, impersonation: .notEnabled,
                filterID: 70_000 + id, initiatorCookie: 0x5eed_0000_0000_0000 | id, responderCookie: id))
    case 1:
        return .quickModeEstablished(
            QuickModeEstablished(
                local: TrafficEndpoint(address: server), remote: TrafficEndpoint(address: client),
                remotePrivateAddress: nil,
                ipProtocol: 0, keyingModule: .authIP, ahIntegrity: .none, espIntegrity: .sha1, cipher: .aes192,
                lifetimeSeconds: 3600, lifetimeKilobytes: 100_000, lifetimePackets: 0, mode: .tunnel, role: .responder,
                filterID: 80_000, mainModeSAID: id - 1, quickModeSAID: id, inboundSPI: UInt32(truncatingIfNeeded: id),
                outboundSPI: UInt32(truncatingIfNeeded: ~id)))
    default:
        return .extendedModeFailed(
            ExtendedModeFailed(
                local: NegotiationPeer(principalName: "CORP\\DA1$", address: server, keyingModulePort: 4500),
                remote: NegotiationPeer(principalName: "CORP\\user\(id)", address: client, keyingModulePort: 4500),
                failure: NegotiationFailure(
                    point: .localComputer, reason: FailureReason(.errorIpsecIkeAuthorizationFailure)),
                authenticationMethod: .kerberos, state: .sentSecondPayload, role: .responder,
                impersonation: .notEnabled,
                quickModeFilterID: 90_000))
    }
}

let arguments = CommandLine.arguments
guard (3...4).contains(arguments.count), let count = UInt64(arguments[2]),
    let batch = arguments.count == 4 ? Int(arguments[3]) : 1, batch >= 1
else {
    fail("usage: authip-audit-writer LOG COUNT [BATCH]", status: 2)
}

do throws(DurableAuditLogError) {
    var log = try DurableAuditLog(path: arguments[1])
    if log.droppedTailBytes > 0 { writeAll(2, "dropped \(log.droppedTailBytes)\n") }
    guard let origin = try? AuditOrigin(computer: "AUDIT-WRITER", processID: 4242, threadID: 1) else {
        fail("bad origin", status: 1)
    }
    var recorder = AuditRecorder(origin: origin, lastRecordID: log.lastRecordID)
    var pending: [AuditRecord] = []
    for index in 0..<count {
        let id = recorder.lastRecordID + 1
        let time = AuditTime(
            nanosecondsSinceUnixEpoch: 1_704_067_200_000_000_000 + Int64(id % 1_000_000_000) * 1_000_000)
        let activity = UUID(
            uuid: (
                0x5e, 0xed, 0, 0, 0, 0, 0, 0,
                UInt8(truncatingIfNeeded: id >> 56), UInt8(truncatingIfNeeded: id >> 48),
                UInt8(truncatingIfNeeded: id >> 40), UInt8(truncatingIfNeeded: id >> 32),
                UInt8(truncatingIfNeeded: id >> 24), UInt8(truncatingIfNeeded: id >> 16),
                UInt8(truncatingIfNeeded: id >> 8), UInt8(truncatingIfNeeded: id)
            ))
        guard let record = try? recorder.record(sampleEvent(id), at: time, activityID: activity) else {
            fail("record IDs exhausted", status: 1)
        }
        pending.append(record)
        guard pending.count == batch || index == count - 1 else { continue }
        try log.append(contentsOf: pending)
        writeAll(1, pending.map { "\($0.recordID)\t\($0.json.compactText)\n" }.joined())
        pending = []
    }
} catch {
    fail(error.description, status: 1)
}
