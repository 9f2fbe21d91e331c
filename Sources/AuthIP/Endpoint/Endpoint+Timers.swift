import AuthIPAudit
import AuthIPErrors
import AuthIPSADatabase
import Foundation

extension Endpoint {
    /// The session's next deadline: a retransmission, the responder's wait, a CRL download, a
    /// Quick Mode's wait for synchronize.
    func deadline(of session: MainModeSession) -> Date? {
        var candidates: [Date] = []
        if let next = session.channel.earliestRetransmission { candidates.append(next) }
        if let next = session.negotiationDeadline { candidates.append(next) }
        if session.isNegotiating { candidates.append(session.negotiationLimit) }
        switch session.phase {
        case .authenticating(let auth): candidates += auth.gss.waitDeadlines
        case .established(let mm): candidates += mm.extendedModeWaitDeadlines
        default: break
        }
        candidates += session.quickModes.values.compactMap(\.deadline)
        return candidates.min()
    }

    /// Everything due at `now`.
    mutating func runTimers() {
        for key in timers.due(at: now) {
            switch key {
            case .session(let id): sessionTimer(id)
            case .rekey(let id): rekey(id)
            }
        }
        reassembly.expire(at: now)
        updateDenialOfServiceMode()
        let expired = database.expired(at: now)
        for id in expired.mainModes { removeMainModeSA(id: id, notifyPeer: false) }
        for id in expired.quickModes { removeQuickModeSA(id: id, notifyPeer: false, reason: .errorIpsecIkeQmExpired) }
    }

    private mutating func sessionTimer(_ id: UInt64) {
        guard var session = sessions[id] else { return }
        for due in session.channel.due(at: now) {
            switch due {
            case .resend(let datagrams):
                for datagram in datagrams { send(datagram, session: session) }
            case .exhausted(.mainMode):
                failMainMode(&session, .local(.errorIpsecIkeTimedOut), notifyPeer: false)
                return
            case .exhausted(.extendedMode):
                failExtendedMode(&session, .local(.errorIpsecIkeTimedOut), notifyPeer: false)
                return
            case .exhausted(.quickMode(let messageID)):
                dropQuickMode(&session, messageID: messageID, error: .local(.errorIpsecIkeTimedOut), state: .sentFirstPayload)
            case .exhausted(.notify):
                sendNextNotify(&session)
                guard let current = sessions[id] else { return }
                session = current
            }
        }
        if session.isNegotiating, min(session.negotiationDeadline ?? .distantFuture, session.negotiationLimit) <= now {
            failNegotiation(&session, .mainMode, .local(.errorIpsecIkeTimedOut), notifyPeer: true, reliably: false)
            return
        }
        for (messageID, exchange) in session.quickModes where (exchange.deadline ?? .distantFuture) <= now {
            dropQuickMode(&session, messageID: messageID, error: .local(.errorIpsecIkeTimedOut), state: .sentFinalPayload)
        }
        if case .closing = session.phase, !session.channel.hasOutstandingNotify, session.notifyQueue.isEmpty {
            discard(id)
            return
        }
        store(session)
        expireCRLWaits(&session)
        expireAccountWaits(&session)
        expireDomainControllerWaits(&session)
    }
}
