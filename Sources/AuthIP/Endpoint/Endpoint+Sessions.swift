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
    mutating func withSession<Result>(_ id: UInt64, _ body: (inout MainModeMachine, inout EndpointContext) -> Result) -> Result? {
        guard let before = sessions[id].map(SessionFacts.init) else { return nil }
        let result = body(&sessions[id]!, &context)
        settle(id, before)
        return result
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
        let before = SessionFacts(isNegotiating: false, remote: session.remote)
        sessions[id] = session
        settle(id, before)
    }

    /// After a change of session `id`: its half-open count, its first-contact index (a peer
    /// behind a NAT moved), its timer; or, when it is finished, its removal.
    private mutating func settle(_ id: UInt64, _ before: SessionFacts) {
        guard let session = sessions[id] else { return }
        if session.isFinished {
            discard(id, wasNegotiating: before.isNegotiating)
            return
        }
        if before.isNegotiating != session.isNegotiating { adjustHalfOpen(by: session.isNegotiating ? 1 : -1) }
        if session.role == .responder, before.remote != session.remote {
            answeredByFirstContact[FirstContact(initiatorCookie: session.cookies.initiator, peer: before.remote)] = nil
            answeredByFirstContact[FirstContact(initiatorCookie: session.cookies.initiator, peer: session.remote)] = id
        }
        timers.schedule(id, at: session.deadline)
    }

    /// Forgets a session entirely.
    private mutating func discard(_ id: UInt64, wasNegotiating: Bool) {
        guard let session = sessions.removeValue(forKey: id) else { return }
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
        let threshold = settings.denialOfServiceThreshold
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
        if let id = initiatedByCookie[header.initiatorCookie], let session = sessions[id],
           session.cookies.responder == 0 || session.cookies.responder == header.responderCookie {
            return id
        }
        return nil
    }
}

/// What `withSession` compares before and after a change.
private struct SessionFacts {
    var isNegotiating: Bool
    var remote: EndpointAddress

    init(isNegotiating: Bool, remote: EndpointAddress) {
        self.isNegotiating = isNegotiating
        self.remote = remote
    }

    init(_ session: MainModeMachine) { self.init(isNegotiating: session.isNegotiating, remote: session.remote) }
}

/// A retransmitted MM #1 is recognised by its initiator cookie and source.
struct FirstContact: Hashable {
    var initiatorCookie: UInt64
    var peer: EndpointAddress
}
