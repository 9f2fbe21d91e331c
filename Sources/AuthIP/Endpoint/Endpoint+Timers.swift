import AuthIPErrors
import Foundation

/// Everything due at `now`: the sessions' deadlines, fragments, DoS-cookie mode, SA lifetimes.
extension Endpoint {
    mutating func runTimers() {
        for id in timers.due(at: now) {
            guard let rekeys = withSession(id, { $0.fire(&$1) }) else { continue }
            for rekey in rekeys { self.rekey(rekey, mainModeID: id) }
        }
        reassembly.expire(at: now)
        updateDenialOfServiceMode()
        let expired = context.database.expired(at: now)
        for id in expired.mainModes { removeMainModeSA(id: id, notifyPeer: false) }
        for id in expired.quickModes { removeQuickModeSA(id: id, notifyPeer: false, reason: .errorIpsecIkeQmExpired) }
    }
}
