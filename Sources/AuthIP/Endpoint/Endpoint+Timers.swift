import AuthIPErrors
import AuthIPWire
import Foundation

/// Everything due at `now`: the sessions' deadlines, fragments, DoS-cookie mode, SA lifetimes.
extension Endpoint {
    mutating func runTimers() {
        for id in timers.due(at: now) {
            guard let rekeys = withSession(id, { $0.fire(&$1) }) else { continue }
            for rekey in rekeys { self.rekey(rekey, mainModeID: id) }
        }
        for (traffic, retry) in negotiationRetries.sorted(by: {
            ($0.value.due, $0.value.order) < ($1.value.due, $1.value.order)
        })
        where retry.due <= now {
            negotiationRetries[traffic] = nil
            acquire(traffic, retry: retry)
        }
        reassembly.expire(at: now)
        updateDenialOfServiceMode()
        let expired = context.database.expired(at: now)
        for id in expired.mainModes { removeMainModeSA(id: id, notifyPeer: false) }
        for id in expired.quickModes { removeQuickModeSA(id: id, notifyPeer: false, reason: .errorIpsecIkeQmExpired) }
    }
}

/// A negotiation to start again: the peer stopped answering the last one for this traffic.
///
/// Windows starts a new negotiation when more packets of the traffic arrive (an application's
/// retransmissions); the engine sees no packets, so it does the same on the schedule such
/// retransmissions give: 1 s after the failure, then doubling, at most
/// `EndpointSettings.negotiationRetries` times (Docs/InteropProfile.md, "Loss").
struct NegotiationRetry {
    var attempt: Int
    /// When #5 went unanswered with TLS: the GSS-APIsecret forms still to try, next first
    /// (these new negotiations do not count as retries).
    var tlsSecretCandidates: [TLSSecretForm]?
    /// When the peer refused Auth1: the proof forms still to try, next first.
    var transcriptCandidates: [TranscriptForm]?
    var due: Date
    /// Scheduling order, for retries due at the same instant.
    var order: UInt64
}

extension Endpoint {
    /// After an initiator's negotiation ended unanswered: its traffic again, later.
    mutating func scheduleRetry(of session: MainModeMachine) {
        guard session.retry, !context.isShuttingDown else { return }
        let nextSecret = session.tlsSecretUnanswered && session.tlsSecretCandidates.count > 1
        let nextTranscript = session.auth1Refused && session.transcriptCandidates.count > 1
        let calibrating = nextSecret || nextTranscript
        // A refused Auth1 is retried only in another form, never as if unanswered.
        guard calibrating || (!session.auth1Refused && session.retryAttempt < settings.negotiationRetries) else {
            return
        }
        let attempt = calibrating ? session.retryAttempt : session.retryAttempt + 1
        let delay = settings.negotiationRetryBackoff.seconds * Double(1 << min(max(attempt - 1, 0), 16))
        for traffic in session.acquiredTraffic where negotiationRetries[traffic] == nil {
            retriesScheduled &+= 1
            negotiationRetries[traffic] = NegotiationRetry(
                attempt: attempt,
                tlsSecretCandidates: nextSecret ? Array(session.tlsSecretCandidates.dropFirst()) : nil,
                transcriptCandidates: nextTranscript ? Array(session.transcriptCandidates.dropFirst()) : nil,
                due: now.addingTimeInterval(delay), order: retriesScheduled)
        }
    }
}
