import AuthIPErrors
import Foundation

extension MainModeMachine {
    /// The session's deadline passed: retransmissions, requests that ran out of them, a
    /// negotiation that took too long, Quick Modes never synchronized, external waits. Returns
    /// the QM SAs whose rekey is due.
    mutating func fire(_ shared: inout EndpointContext) -> [UInt64] {
        let now = shared.now
        channel.dropExpiredResponses(at: now)
        for due in channel.due(at: now) {
            switch due {
            case .resend(let datagrams):
                for datagram in datagrams { send(datagram, &shared) }
            case .exhausted(.mainMode):
                retry = role == .initiator
                // Unanswered after #5: the peer may derive its keys from another TLS secret.
                if case .keyed(let mm) = phase, mm.tlsSecret != nil { tlsSecretUnanswered = true }
                failMainMode(.local(.errorIpsecIkeTimedOut), notifyPeer: false, &shared)
                return []
            case .exhausted(.extendedMode):
                retry = role == .initiator
                failExtendedMode(.local(.errorIpsecIkeTimedOut), notifyPeer: false, &shared)
                return []
            case .exhausted(.quickMode(let messageID)):
                dropQuickMode(messageID, error: .local(.errorIpsecIkeTimedOut), state: .sentFirstPayload, &shared)
            case .exhausted(.notify):
                sendNextNotify(&shared)
                if isFinished { return [] }
            }
        }
        if isNegotiating, min(negotiationDeadline ?? .distantFuture, negotiationLimit) <= now {
            retry = role == .initiator
            failNegotiation(.mainMode, .local(.errorIpsecIkeTimedOut), notifyPeer: true, reliably: false, &shared)
            return []
        }
        for messageID in quickModes.keys.sorted() where (quickModes[messageID]?.deadline ?? .distantFuture) <= now {
            dropQuickMode(messageID, error: .local(.errorIpsecIkeTimedOut), state: .sentFinalPayload, &shared)
        }
        if isFinished { return [] }
        expireWaits(&shared)
        return dueRekeys(at: now)
    }
}
