import AuthIPAudit
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// The session table: every input that concerns a Main Mode changes its machine in place
/// through `withSession`, which then fixes what depends on it (indexes, the half-open count
/// and DoS-cookie mode, its timer) once, and forgets it when it is finished.
extension Endpoint {
    /// Runs `body` on session `id` and the shared context; nil when there is no such session.
    @discardableResult
    mutating func withSession<Result>(
        _ id: UInt64, _ body: (inout MainModeMachine, inout EndpointContext) -> Result
    ) -> Result? {
        guard let index = sessions.index(forKey: id) else { return nil }
        let (result, before, after) = Self.change(&sessions.values[index], &context, body)
        settle(id, before, after)
        return result
    }

    /// Runs `body` on a session in place, with what `settle` compares read before and after
    /// (a copy of a machine would cost a retain per field).
    private static func change<Result>(
        _ session: inout MainModeMachine, _ context: inout EndpointContext,
        _ body: (inout MainModeMachine, inout EndpointContext) -> Result
    ) -> (Result, SessionFacts, SessionFacts) {
        let before = SessionFacts(isNegotiating: session.isNegotiating, remote: session.remote)
        let result = body(&session, &context)
        return (result, before, SessionFacts(session))
    }

    /// Adds a new session to the table and its indexes.
    mutating func register(_ session: MainModeMachine) {
        var session = session
        let id = session.id
        session.negotiationLimit = now.addingTimeInterval(settings.maximumNegotiationTime.seconds)
        if session.role == .initiator {
            initiatedByCookie[session.cookies.initiator] = id
        } else {
            answeredByCookies[session.cookies] = id
            answeredByFirstContact[FirstContact(initiatorCookie: session.cookies.initiator, peer: session.remote)] = id
        }
        sessionsByPeer[session.remote.ip, default: []].insert(id)
        sessionsByPeerGroup[settings.peerGroup(of: session.remote.ip), default: []].insert(id)
        let after = SessionFacts(session)
        sessions[id] = session
        settle(id, SessionFacts(isNegotiating: false, remote: session.remote), after)
    }

    /// After a change of session `id`: its half-open count, its first-contact index (a peer
    /// behind a NAT moved), its timer; or, when it is finished, its removal.
    private mutating func settle(_ id: UInt64, _ before: SessionFacts, _ after: SessionFacts) {
        if after.isFinished {
            discard(id, wasNegotiating: before.isNegotiating)
            return
        }
        if before.isNegotiating != after.isNegotiating { adjustHalfOpen(by: after.isNegotiating ? 1 : -1) }
        if after.role == .responder, before.remote != after.remote {
            answeredByFirstContact[FirstContact(initiatorCookie: after.initiatorCookie, peer: before.remote)] = nil
            answeredByFirstContact[FirstContact(initiatorCookie: after.initiatorCookie, peer: after.remote)] = id
        }
        timers.schedule(id, at: after.deadline)
    }

    /// Forgets a session entirely.
    private mutating func discard(_ id: UInt64, wasNegotiating: Bool) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        scheduleRetry(of: session)
        for (_, gss) in session.negotiations { if let wait = gss.wait { context.stopAwaiting(wait, session: id) } }
        if wasNegotiating { adjustHalfOpen(by: -1) }
        if session.role == .initiator {
            initiatedByCookie[session.cookies.initiator] = nil
        } else {
            answeredByCookies[session.cookies] = nil
            answeredByFirstContact[FirstContact(initiatorCookie: session.cookies.initiator, peer: session.remote)] = nil
        }
        sessionsByPeer[session.remote.ip]?.remove(id)
        if sessionsByPeer[session.remote.ip]?.isEmpty == true { sessionsByPeer[session.remote.ip] = nil }
        let group = settings.peerGroup(of: session.remote.ip)
        sessionsByPeerGroup[group]?.remove(id)
        if sessionsByPeerGroup[group]?.isEmpty == true { sessionsByPeerGroup[group] = nil }
        timers.schedule(id, at: nil)
    }

    private mutating func adjustHalfOpen(by delta: Int) {
        halfOpenCount += delta
        let threshold = context.shard.share(of: settings.denialOfServiceThreshold)
        if halfOpenCount >= threshold {
            isHalfOpenPressure = true
        } else if halfOpenCount < threshold * 3 / 4 {
            isHalfOpenPressure = false
        }
        updateDenialOfServiceMode()
    }

    /// Enters or leaves DoS-cookie mode (4646) as the half-open count and the fragment pool say.
    mutating func updateDenialOfServiceMode() {
        if let until = reassemblyPressureUntil, until <= now { reassemblyPressureUntil = nil }
        let pressed = isHalfOpenPressure || reassemblyPressureUntil != nil
        guard pressed != isInDenialOfServiceMode else { return }
        isInDenialOfServiceMode = pressed
        context.emit(.dosPreventionModeChanged(pressed ? .started : .stopped))
    }

    /// The session a message belongs to, by its cookies.
    func sessionID(for header: ISAKMPHeader) -> UInt64? {
        let pair = CookiePair(initiator: header.initiatorCookie, responder: header.responderCookie)
        if let id = answeredByCookies[pair] { return id }
        // Only the cookie is read: binding the session would copy the whole machine.
        if let id = initiatedByCookie[header.initiatorCookie], let responder = sessions[id]?.cookies.responder,
            responder == 0 || responder == header.responderCookie
        {
            return id
        }
        return nil
    }
}

/// What `withSession` compares before and after a change.
private struct SessionFacts {
    var isNegotiating: Bool
    var remote: EndpointAddress
    var isFinished = false
    var role = SARole.initiator
    var initiatorCookie: UInt64 = 0
    var deadline: Date?

    init(isNegotiating: Bool, remote: EndpointAddress) {
        self.isNegotiating = isNegotiating
        self.remote = remote
    }

    init(_ session: borrowing MainModeMachine) {
        self.init(isNegotiating: session.isNegotiating, remote: session.remote)
        isFinished = session.isFinished
        role = session.role
        initiatorCookie = session.cookies.initiator
        deadline = isFinished ? nil : session.deadline
    }
}

/// A retransmitted MM #1 is recognised by its initiator cookie and source.
struct FirstContact: Hashable {
    var initiatorCookie: UInt64
    var peer: EndpointAddress
}
