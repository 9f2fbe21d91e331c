import AuthIPErrors
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// What the driver asks of the endpoint besides datagrams: traffic that needs an SA, SA
/// removals, byte counts, blocks, shutdown.
extension Endpoint {
    /// Traffic needs an SA: reuse a Quick Mode SA or an MM SA that covers it, join a Main Mode
    /// in progress, or start one.
    mutating func acquire(_ traffic: TrafficRequest, retry: NegotiationRetry? = nil) {
        guard !context.isShuttingDown, let (ruleIndex, local, remote, candidates) = mainModes(for: traffic) else {
            return
        }
        let rule = rules[ruleIndex]
        let peer = remote.ip
        if candidates.contains(where: { sessions[$0]!.coversTraffic(traffic, context) }) { return }
        if let first = candidates.first,
            withSession(first, { $0.refusesManageOut(traffic, ruleIndex: ruleIndex, &$1) }) == true
        {
            return
        }
        if let id = candidates.first(where: { sessions[$0]!.isEstablished }) {
            withSession(id) { $0.startQuickMode(traffic: traffic, ruleIndex: ruleIndex, &$1) }
        } else if let id = candidates.first {
            withSession(id) { session, _ in
                if !session.pendingTraffic.contains(traffic) { session.pendingTraffic.append(traffic) }
                if !session.acquiredTraffic.contains(traffic) { session.acquiredTraffic.append(traffic) }
            }
        } else if rule.startsMainMode,
            var session = MainModeMachine.initiating(
                ruleIndex: ruleIndex, local: local, remote: remote, traffic: traffic,
                knownPeerName: knownPrincipalName(of: peer), &context)
        {
            if let retry {
                session.retryAttempt = retry.attempt
                if let forms = retry.tlsSecretCandidates { session.tlsSecretCandidates = forms }
                if let forms = retry.transcriptCandidates { session.transcriptCandidates = forms }
            }
            register(session)
        }
    }

    /// Whether a Main Mode (negotiating or established) could carry this traffic's Quick Mode:
    /// a sharded driver hands an acquire to the shard that holds one.
    public func holdsMainMode(for traffic: TrafficRequest) -> Bool {
        mainModes(for: traffic).map { !$0.candidates.isEmpty } ?? false
    }

    /// The rule for the traffic, the Main Mode's addresses, and the sessions with that peer
    /// that could carry its Quick Mode, oldest first; nil when no rule matches.
    private func mainModes(
        for traffic: TrafficRequest
    ) -> (ruleIndex: Int, local: EndpointAddress, remote: EndpointAddress, candidates: [UInt64])? {
        guard
            let ruleIndex = rules[context.activeRules].firstIndex(where: {
                $0.local.matches(traffic.source, ipProtocol: traffic.ipProtocol, port: traffic.sourcePort)
                    && $0.remote.matches(
                        traffic.destination, ipProtocol: traffic.ipProtocol, port: traffic.destinationPort)
            })
        else { return nil }
        let rule = rules[ruleIndex]
        guard let peer = rule.mainModePeer(for: traffic.destination) else { return nil }
        let local = EndpointAddress(rule.mainModeLocal(for: traffic.source), port: settings.port)
        let remote = EndpointAddress(peer, port: settings.port)
        let candidates = (sessionsByPeer[peer] ?? []).sorted().filter { id in
            guard let session = sessions[id], rules[session.ruleIndex].sharesMainMode(with: rule),
                session.local.ip == local.ip
            else { return false }
            switch session.phase {
            case .closing: return false
            case .established(let mm, let establishment): return !establishment.peerDeleted && !mm.reachedQuickModeLimit
            default: return true
            }
        }
        return (ruleIndex, local, remote, candidates)
    }

    /// The SPN a peer announced in an MM SA of ours whose proofs were checked (MS-AIPS 3.2.4:
    /// "by locating it in the SAD").
    func knownPrincipalName(of peer: IPAddress) -> String? {
        for id in (sessionsByPeer[peer] ?? []).sorted() {
            switch sessions[id]?.phase {
            case .extendedMode(let mm, _), .established(let mm, _):
                if let name = mm.agreement.peerPrincipalName { return name }
            default: continue
            }
        }
        return nil
    }

    /// Removes an MM SA with its QM SAs, the peer told or not.
    mutating func removeMainModeSA(id: UInt64, notifyPeer: Bool) {
        if withSession(id, { $0.remove(notifyPeer: notifyPeer, &$1) }) == nil,
            let removed = context.database.removeMainMode(id: id)
        {
            for record in removed.quickModes { MainModeMachine.end(record, &context) }
            context.emit(NegotiationEvents.mainModeEnded(removed.mainMode))
        }
    }

    /// Administrative removal (Remove-NetIPsecMainModeSA): matching MM SAs and their QM SAs.
    mutating func removeMainModeSAs(matching filter: MainModeSAFilter) {
        for record in context.database.mainModes(matching: filter) {
            removeMainModeSA(id: record.id, notifyPeer: true)
        }
    }

    /// Removes one QM SA: data-plane removals and 5452; the peer told when asked.
    mutating func removeQuickModeSA(id: UInt64, notifyPeer: Bool, reason: WindowsError?) {
        guard let record = context.database.quickMode(id: id) else { return }
        if withSession(record.mainModeID, { $0.removeQuickModeSA(id, notifyPeer: notifyPeer, reason: reason, &$1) })
            == nil,
            let removed = context.database.removeQuickMode(id: id)
        {
            MainModeMachine.end(removed, &context)
        }
    }

    /// Counts bytes on an SA; past its kilobyte lifetime it is rekeyed and removed.
    mutating func countBytes(quickModeSAID id: UInt64, inbound: Bool, bytes: UInt64) {
        guard
            let record = try? context.database.updateQuickMode(
                id: id,
                {
                    if inbound { $0.bytesIn &+= bytes } else { $0.bytesOut &+= bytes }
                }), record.kilobyteLifetimeReached
        else { return }
        if record.role == .initiator { rekey(record.id, mainModeID: record.mainModeID) }
        removeQuickModeSA(id: record.id, notifyPeer: false, reason: .errorIpsecIkeQmExpired)
    }

    /// Starts the Quick Mode that replaces a QM SA (initiator side), on its MM SA or anew.
    mutating func rekey(_ id: UInt64, mainModeID: UInt64) {
        if case .acquire(let traffic)? = withSession(mainModeID, { $0.rekey(id, &$1) }) { acquire(traffic) }
    }

    /// Blocks an identity: its SAs go at once (the peers told), negotiations of it fail, and
    /// new ones are refused until `until`.
    mutating func block(_ pattern: WildcardPattern, until: Date?) {
        context.blockList.block(pattern, until: until)
        context.accountCache.removeAll()
        removeMainModeSAs(matching: MainModeSAFilter(remoteIdentity: pattern, identityScope: .either))
        for id in sessions.keys.sorted() {
            withSession(id) { session, shared in
                guard session.isNegotiating, session.knownPeerNames.contains(where: pattern.matches) else { return }
                session.failNegotiation(
                    .mainMode, .local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true, &shared)
            }
        }
    }

    mutating func unblock(_ pattern: WildcardPattern) {
        context.blockList.unblock(pattern)
        context.accountCache.removeAll()
    }

    /// Tells every peer and removes every SA and negotiation.
    mutating func shutdown() {
        context.isShuttingDown = true
        negotiationRetries = [:]
        for record in context.database.mainModes() {
            removeMainModeSA(id: record.id, notifyPeer: true)
        }
        for id in sessions.keys.sorted() {
            withSession(id) { session, shared in
                guard session.isNegotiating else { return }
                session.emitMainModeFailure(.local(.errorIpsecIkeShuttingDown), method: nil, certificates: nil, &shared)
                session.channel.cancel { _ in true }
                session.close(&shared)
            }
        }
    }
}
