import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// The Quick Modes of an MM SA: the first (#5/#6 in exchange 243, whose proofs confirm Main
/// Mode), the later ones (exchange 244), their synchronize, and the QM SAs they make.
extension MainModeMachine {
    // MARK: - Initiator

    /// The selectors this side proposes for traffic: its own address, the rule's remote side.
    /// A rule whose remote side is every address (a server's rule toward any client) is
    /// narrowed to the packet's destination.
    static func selectors(
        for traffic: TrafficRequest, rule: ConnectionSecurityRule
    ) -> (local: TrafficSelector, remote: TrafficSelector) {
        var remote = rule.remote
        if remote.addresses.prefixLength == 0 { remote.addresses = AddressRange(traffic.destination) }
        return (
            TrafficSelector(AddressRange(traffic.source), ipProtocol: rule.local.ipProtocol, port: rule.local.port),
            remote
        )
    }

    /// What this MM SA's Quick Modes read of it, once it has keys.
    var quickModeParent: QuickModeParent? {
        var binding: QuickModeKeys.ExtendedModeBinding?
        switch phase {
        case .established(_, let establishment): binding = establishment.extendedModeBinding
        case .extendedMode(_, let em): binding = em.binding
        default: break
        }
        return keyed.map {
            QuickModeParent(
                mainMode: $0, role: role, local: local, remote: remote, natDetected: natDetected,
                extendedModeBinding: binding)
        }
    }

    /// The initiator's Quick Mode payloads and its exchange.
    func offerQuickMode(
        local: TrafficSelector, remote: TrafficSelector, messageID: UInt32, exchangeType: ExchangeType,
        ruleIndex: Int? = nil, _ shared: inout EndpointContext
    ) -> (QuickModeMachine, [Payload])? {
        guard let parent = quickModeParent else { return nil }
        return QuickModeMachine.offer(
            local: local, remote: remote, messageID: messageID, exchangeType: exchangeType,
            ruleIndex: ruleIndex ?? self.ruleIndex, parent: parent, &shared)
    }

    /// #5: the first Quick Mode, inside exchange 243, carrying Auth1.
    mutating func startFirstQuickMode(_ shared: inout EndpointContext) {
        let rule = shared.rules[ruleIndex]
        let traffic = pendingTraffic.isEmpty ? nil : pendingTraffic.removeFirst()
        let (local, remote) = traffic.map { Self.selectors(for: $0, rule: rule) } ?? (rule.local, rule.remote)
        let messageID = InteropProfile.firstQuickModeMessageID
        guard
            let (exchange, payloads) = offerQuickMode(
                local: local, remote: remote, messageID: messageID, exchangeType: .mainMode,
                &shared)
        else {
            failMainMode(.local(.errorIpsecIkeDhFailure), notifyPeer: true, &shared)
            return
        }
        quickModes[messageID] = exchange
        sendRequest(exchange: .mainMode, messageID: messageID, payloads: payloads, purpose: .mainMode, &shared)
    }

    /// A later Quick Mode (exchange 244) on an established MM SA, for `traffic`.
    mutating func startQuickMode(traffic: TrafficRequest, ruleIndex: Int? = nil, _ shared: inout EndpointContext) {
        let ruleIndex = ruleIndex ?? self.ruleIndex
        let (local, remote) = Self.selectors(for: traffic, rule: shared.rules[ruleIndex])
        startQuickMode(local: local, remote: remote, ruleIndex: ruleIndex, &shared)
    }

    mutating func startQuickMode(
        local: TrafficSelector, remote: TrafficSelector, ruleIndex: Int? = nil, _ shared: inout EndpointContext
    ) {
        guard case .established(let mm, let establishment) = phase, !establishment.peerDeleted else { return }
        if mm.reachedQuickModeLimit { return }
        var messageID = shared.randomMessageID()
        while quickModes[messageID] != nil { messageID = shared.randomMessageID() }
        guard
            let (exchange, payloads) = offerQuickMode(
                local: local, remote: remote, messageID: messageID, exchangeType: .quickMode,
                ruleIndex: ruleIndex, &shared)
        else { return }
        mm.quickModeCount += 1
        quickModes[messageID] = exchange
        sendRequest(
            exchange: .quickMode, messageID: messageID, payloads: payloads, purpose: .quickMode(messageID), &shared)
    }

    /// Whether an SA or a Quick Mode in progress of the session already carries the traffic.
    func coversTraffic(_ traffic: TrafficRequest, _ shared: EndpointContext) -> Bool {
        let carried = shared.database.quickModes(mainModeID: id).contains {
            $0.localSelector.matches(traffic.source, ipProtocol: traffic.ipProtocol, port: traffic.sourcePort)
                && $0.remoteSelector.matches(
                    traffic.destination, ipProtocol: traffic.ipProtocol, port: traffic.destinationPort)
        }
        return carried
            || quickModes.values.contains {
                $0.localSelector.matches(traffic.source) && $0.remoteSelector.matches(traffic.destination)
            } || pendingTraffic.contains(traffic)
    }

    /// Starts Quick Modes for traffic that waited for the MM SA.
    mutating func startPendingQuickModes(_ shared: inout EndpointContext) {
        while !pendingTraffic.isEmpty {
            let traffic = pendingTraffic.removeFirst()
            if !coversTraffic(traffic, shared) { startQuickMode(traffic: traffic, &shared) }
        }
    }

    /// Over a peer's MM SA (manage out) Quick Modes start only from the management prefixes:
    /// another source is refused with 4654 (13825).
    mutating func refusesManageOut(_ traffic: TrafficRequest, ruleIndex: Int, _ shared: inout EndpointContext) -> Bool {
        let rule = shared.rules[ruleIndex]
        guard role == .responder, let prefixes = rule.managementPrefixes,
            !prefixes.contains(where: { $0.contains(traffic.source) })
        else { return false }
        let (localSelector, remoteSelector) = Self.selectors(for: traffic, rule: rule)
        emitQuickModeFailure(
            local: localSelector, remote: remoteSelector, ruleIndex: ruleIndex, messageID: 0, role: .initiator,
            state: .noState, error: .local(.errorIpsecIkeNoPolicy), &shared)
        return true
    }

    /// A peer's NOTIFY_ACQUIRE: traffic it has toward this side, over its own MM SA. Only
    /// traffic that is the peer's own, under a rule the SA's authorization covers, starts a
    /// Quick Mode, and only on this MM SA: never a Main Mode, never toward another peer.
    mutating func acquire(peerTraffic traffic: TrafficRequest, _ shared: inout EndpointContext) {
        guard !shared.isShuttingDown, case .established(_, let establishment) = phase, !establishment.peerDeleted else {
            return
        }
        let authorized = shared.rules[establishment.authorizedRule]
        guard
            let ruleIndex = shared.activeRules.first(where: { index in
                let rule = shared.rules[index]
                let peersOwn =
                    rule.mode == .transport
                    ? traffic.destination == remote.ip
                    : rule.allowsPeerSelector(AddressRange(traffic.destination), peer: remote.ip)
                return rule.matchesMainMode(local: local.ip, remote: remote.ip) && peersOwn
                    && rule.local.matches(traffic.source) && rule.remote.matches(traffic.destination)
                    && rule.sharesAuthorization(with: authorized)
            })
        else { return }
        guard !coversTraffic(traffic, shared), !refusesManageOut(traffic, ruleIndex: ruleIndex, &shared) else { return }
        startQuickMode(traffic: traffic, ruleIndex: ruleIndex, &shared)
    }

    // MARK: - Responder

    /// #5 at the responder: Auth1 confirms Main Mode; then the Quick Mode is answered in #6
    /// with Auth2.
    mutating func receiveFirstQuickModeRequest(_ inbound: Inbound, _ shared: inout EndpointContext) {
        guard case .keyed = phase else { return }
        guard let hash = inbound.hash, acceptsAuth1(hash.data, shared), case .keyed(let mm) = phase else {
            failMainMode(.local(.errorIpsecIkeInvalidHash), notifyPeer: true, respondingTo: inbound.key, &shared)
            return
        }
        settleProofs(&shared)
        if isBlocked([mm.authorization], shared) {
            failMainMode(
                .local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true, respondingTo: inbound.key, &shared)
            return
        }
        let ruleIndex = quickModeRule(identifications: inbound.identifications, mm: mm, authorizedRule: nil, shared)
        if let ruleIndex, shared.rules[ruleIndex].extendedMode != nil {
            phase = .extendedMode(mm, ExtendedModeMachine(ruleIndex: ruleIndex))
        } else {
            confirm(authorizedRule: ruleIndex ?? self.ruleIndex, &shared)
        }
        answerQuickMode(inbound, exchangeType: .mainMode, &shared)
    }

    /// A request on exchange 244: a new Quick Mode, or the synchronize that completes one.
    mutating func receiveQuickModeRequest(_ inbound: Inbound, _ shared: inout EndpointContext) {
        guard let mm = keyed, isProofChecked else {
            emitInvalidPacket(.quickMode, &shared)
            return
        }
        let messageID = inbound.header.messageID
        if inbound.notifies.contains(where: { $0.messageType == .quickModeSynchronize }) {
            guard let exchange = quickModes[messageID], case .answered(let agreement) = exchange.state else {
                emitInvalidPacket(.quickMode, &shared)
                return
            }
            quickModes[messageID] = nil
            if case .extendedMode(let mm, var em) = phase {
                em.quickModeSynchronized(exchange, agreement)
                phase = .extendedMode(mm, em)
                negotiationDeadline = shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds)
            } else {
                completeQuickMode(exchange, agreement, &shared)
            }
            sendResponse(to: inbound.key, payloads: [.notify(.quickModeSynchronize)], &shared)
            return
        }
        guard case .established(_, let establishment) = phase else {
            emitInvalidPacket(.quickMode, &shared)
            return
        }
        guard quickModes[messageID] == nil,
            messageID != InteropProfile.firstQuickModeMessageID || inbound.header.exchangeType != .mainMode
        else {
            return
        }
        guard let hash = inbound.hash, constantTimeEqual(hash.data, mm.proof(of: role.peer)) else {
            emitInvalidPacket(.quickMode, &shared)
            return
        }
        if establishment.peerDeleted {
            sendResponse(
                to: inbound.key,
                payloads: [
                    .notify(
                        .status(
                            code: WindowsError.errorIpsecIkeMmExpired.code,
                            protocolID: NotifyPayload.quickModeProtocol, reliable: false))
                ], &shared)
            return
        }
        answerQuickMode(inbound, exchangeType: .quickMode, &shared)
        if case .established(let mm, _) = phase { mm.quickModeCount += 1 }
    }

    /// Chooses selectors and a proposal for the peer's Quick Mode and sends the answer (#6):
    /// Auth2, the IDs, the chosen SA, Nr (on 244), KE; or NO-PROPOSAL-CHOSEN.
    mutating func answerQuickMode(_ inbound: Inbound, exchangeType: ExchangeType, _ shared: inout EndpointContext) {
        guard let mm = keyed else { return }
        let messageID = inbound.header.messageID
        let ids = inbound.identifications
        let first = exchangeType == .mainMode
        var payloads: [Payload] = [.hash(HashPayload(data: mm.proof(of: role)))]
        func refuse(
            _ code: WindowsError, local: TrafficSelector?, remote: TrafficSelector?, _ shared: inout EndpointContext
        ) {
            payloads.append(
                .notify(
                    NotifyPayload(
                        messageType: .noProposalChosen, protocolID: NotifyPayload.quickModeProtocol, flags: .reliable)))
            sendResponse(to: inbound.key, payloads: payloads, &shared)
            emitQuickModeFailure(
                local: local, remote: remote, ruleIndex: ruleIndex, messageID: messageID, role: .responder,
                state: .noState, error: .local(code), &shared)
        }
        guard ids.count == 2, let peerSelector = TrafficSelector(ids[0]), let localSelector = TrafficSelector(ids[1]),
            let sa = inbound.securityAssociation, let nonce = inbound.nonces.first, !nonce.data.isEmpty,
            !inbound.dictatesKeys
        else {
            refuse(.errorIpsecIkeInvalidPayload, local: nil, remote: nil, &shared)
            return
        }
        var authorizedRule: Int?
        if case .established(_, let establishment) = phase { authorizedRule = establishment.authorizedRule }
        guard
            let quickModeRuleIndex = quickModeRule(identifications: ids, mm: mm, authorizedRule: authorizedRule, shared)
        else {
            refuse(.errorIpsecIkeNoPolicy, local: localSelector, remote: peerSelector, &shared)
            return
        }
        if !first, let limit = quickModeLimit(mm, shared) {
            refuse(limit, local: localSelector, remote: peerSelector, &shared)
            return
        }
        guard let parent = quickModeParent else { return }
        switch QuickModeMachine.answering(
            inbound, offer: sa, nonce: nonce.data, ids: (ids[0], ids[1]), selectors: (localSelector, peerSelector),
            exchangeType: exchangeType, ruleIndex: quickModeRuleIndex, parent: parent, &shared)
        {
        case .failure(let code):
            refuse(code, local: localSelector, remote: peerSelector, &shared)
        case .success(let (exchange, answer)):
            quickModes[messageID] = exchange
            sendResponse(to: inbound.key, payloads: payloads + answer, &shared)
        }
    }

    /// The responder's rule for a Quick Mode's IDi/IDr: one between the MM SA's addresses,
    /// with its method, whose selectors contain the proposed ones, with the peer's side its own
    /// (`allowsPeerSelector`); once the MM SA is confirmed, only rules that share the
    /// authorization it passed.
    func quickModeRule(
        identifications ids: [IdentificationPayload], mm: KeyedMainMode, authorizedRule: Int?,
        _ shared: EndpointContext
    ) -> Int? {
        guard ids.count == 2, let peerSelector = TrafficSelector(ids[0]), let localSelector = TrafficSelector(ids[1])
        else { return nil }
        let authorized = authorizedRule.map { shared.rules[$0] }
        return shared.activeRules.first { index in
            let rule = shared.rules[index]
            // A Quick Mode the MM responder starts (manage out) must come from a management prefix.
            let fromManagement =
                role == .responder
                || rule.managementPrefixes.map { prefixes in
                    prefixes.contains { $0.contains(peerSelector.addresses) }
                } ?? true
            return rule.matchesMainMode(local: local.ip, remote: remote.ip)
                && rule.local.contains(localSelector) && rule.remote.contains(peerSelector)
                && rule.allowsPeerSelector(peerSelector.addresses, peer: remote.ip)
                && rule.mainModeAuthentication.offered.contains(mm.method) && fromManagement
                && authorized.map(rule.sharesAuthorization(with:)) != false
        }
    }

    /// Why another Quick Mode of the peer would pass a limit, or nil: the MM SA's QM limit,
    /// the Quick Modes in progress and the QM SAs per MM SA and on the endpoint.
    func quickModeLimit(_ mm: KeyedMainMode, _ shared: EndpointContext) -> WindowsError? {
        let limit = Int(mm.agreement.quickModeLimit)
        if limit > 0 && mm.quickModeCount >= limit { return .errorIpsecIkeQmLimit }
        let settings = shared.settings
        if quickModes.count >= settings.maximumQuickModeNegotiationsPerMainMode
            || quickModeSAs.count >= settings.maximumQuickModeSAsPerMainMode
            || shared.reservedSPIs.count >= settings.maximumQuickModeNegotiations
            || shared.database.quickModeCount >= settings.maximumQuickModeSAs
        {
            return .errorIpsecIkeQmLimit
        }
        return nil
    }

    // MARK: - Initiator's answers

    /// #6: Auth2 confirms Main Mode; then the Quick Mode answer.
    mutating func receiveFirstQuickModeResponse(_ inbound: Inbound, _ shared: inout EndpointContext) {
        guard case .keyed(let mm) = phase else { return }
        guard let hash = inbound.hash else {
            let error: NegotiationError =
                inbound.statusCode.map { .remote(WindowsError.lookup($0)) } ?? .local(.errorIpsecIkeInvalidPayload)
            // The responder refused our Auth1: it may compute the proofs in another form.
            if error == .remote(.errorIpsecIkeInvalidHash) {
                auth1Refused = true
                retry = true
            }
            failMainMode(error, notifyPeer: inbound.statusCode == nil, &shared)
            return
        }
        guard constantTimeEqual(hash.data, mm.auth2) else {
            failMainMode(.local(.errorIpsecIkeInvalidHash), notifyPeer: true, &shared)
            return
        }
        settleProofs(&shared)
        if isBlocked([mm.authorization], shared) {
            failMainMode(.local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true, &shared)
            return
        }
        if shared.rules[ruleIndex].extendedMode != nil {
            phase = .extendedMode(mm, ExtendedModeMachine(ruleIndex: ruleIndex))
            negotiationDeadline = shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds)
        } else {
            confirm(authorizedRule: ruleIndex, &shared)
        }
        acceptQuickModeAnswer(inbound, messageID: InteropProfile.firstQuickModeMessageID, &shared)
    }

    /// A response on exchange 244: the answer to a Quick Mode (then QM synchronize), or the
    /// synchronize that completes it.
    mutating func receiveQuickModeResponse(_ inbound: Inbound, messageID: UInt32, _ shared: inout EndpointContext) {
        guard let mm = keyed, let exchange = quickModes[messageID] else { return }
        switch exchange.state {
        case .offered:
            guard let hash = inbound.hash, constantTimeEqual(hash.data, mm.proof(of: role.peer)) else {
                if let code = inbound.statusCode {
                    dropQuickMode(
                        messageID, error: .remote(WindowsError.lookup(code)), state: .sentFirstPayload, &shared)
                } else {
                    emitInvalidPacket(.quickMode, &shared)
                    dropQuickMode(
                        messageID, error: .local(.errorIpsecIkeInvalidHash), state: .sentFirstPayload, &shared)
                }
                return
            }
            acceptQuickModeAnswer(inbound, messageID: messageID, &shared)
        case .synchronizing(let agreement):
            quickModes[messageID] = nil
            if case .extendedMode(let mm, var em) = phase {
                em.quickModeSynchronized(exchange, agreement)
                phase = .extendedMode(mm, em)
                startExtendedMode(&shared)
                return
            }
            completeQuickMode(exchange, agreement, &shared)
            startPendingQuickModes(&shared)
        case .answered:
            break
        }
    }

    /// The responder's choice: checked against the offer; inbound SA installed; QM synchronize.
    mutating func acceptQuickModeAnswer(_ inbound: Inbound, messageID: UInt32, _ shared: inout EndpointContext) {
        guard let parent = quickModeParent, var exchange = quickModes[messageID], case .offered = exchange.state else {
            return
        }
        if inbound.notifies.contains(where: { $0.messageType == .noProposalChosen }) {
            dropQuickMode(messageID, error: .remote(.errorIpsecIkeAttribFail), state: .sentFirstPayload, &shared)
            startPendingQuickModes(&shared)
            return
        }
        let agreement: QuickModeAgreement
        switch exchange.accept(inbound, parent: parent, &shared) {
        case .failure(let rejection):
            dropQuickMode(
                messageID, error: rejection.error, state: .sentFirstPayload, notifyPeer: rejection.notifyPeer, &shared)
            return
        case .success(let accepted):
            agreement = accepted
        }
        quickModes[messageID] = exchange
        // The inbound SA goes in before QM synchronize leaves, so the peer's first packets land;
        // when Extended Mode follows, its keys wait for SKEYID_em.
        if case .extendedMode = phase {
        } else {
            shared.outputs.append(.installSA(exchange.ipsecSA(agreement, direction: .inbound, parent: parent, shared)))
        }
        sendRequest(
            exchange: .quickMode, messageID: messageID, payloads: [.notify(.quickModeSynchronize)],
            purpose: .quickMode(messageID), &shared)
    }

    // MARK: - Completion

    /// Both directions exist: the SA goes in the database and the data plane, and 5451.
    mutating func completeQuickMode(
        _ exchange: QuickModeMachine, _ agreement: QuickModeAgreement, _ shared: inout EndpointContext
    ) {
        shared.reservedSPIs.remove(agreement.inboundSPI)
        guard let parent = quickModeParent else { return }
        let rule = shared.rules[exchange.ruleIndex]
        let record = exchange.record(agreement, mainModeID: id, parent: parent, shared)
        do {
            try shared.database.insert(record)
        } catch {
            // Not in the database, so not in the data plane either.
            if exchange.role == .initiator {
                shared.outputs.append(
                    .removeSA(spi: agreement.inboundSPI, direction: .inbound, quickModeSAID: agreement.saID))
            }
            emitQuickModeFailure(
                local: exchange.localSelector, remote: exchange.remoteSelector, ruleIndex: exchange.ruleIndex,
                messageID: exchange.messageID, role: exchange.role, state: .sentFinalPayload,
                error: .local(.errorIpsecIkeError), &shared)
            return
        }
        if exchange.role == .responder {
            shared.outputs.append(.installSA(exchange.ipsecSA(agreement, direction: .inbound, parent: parent, shared)))
        }
        shared.outputs.append(.installSA(exchange.ipsecSA(agreement, direction: .outbound, parent: parent, shared)))
        var link = QuickModeSALink(messageID: exchange.messageID, ruleIndex: exchange.ruleIndex)
        if exchange.role == .initiator {
            let margin = min(shared.settings.rekeyMargin.seconds, TimeInterval(agreement.lifetimeSeconds) / 2)
            link.rekeyAt = record.expires.addingTimeInterval(-margin)
        }
        quickModeSAs[record.id] = link
        shared.emit(NegotiationEvents.quickModeEstablished(record, rule: rule))
    }

    /// Ends a Quick Mode negotiation that failed: 4654, its SPI freed, an installed inbound SA
    /// removed, and the peer told when asked.
    mutating func dropQuickMode(
        _ messageID: UInt32, error: NegotiationError, state: QuickModeState, notifyPeer: Bool = false,
        _ shared: inout EndpointContext
    ) {
        guard let exchange = quickModes.removeValue(forKey: messageID) else { return }
        channel.cancel { $0 == .quickMode(messageID) }
        shared.reservedSPIs.remove(exchange.reservedSPI)
        if case .synchronizing(let agreement) = exchange.state {
            shared.outputs.append(
                .removeSA(spi: agreement.inboundSPI, direction: .inbound, quickModeSAID: agreement.saID))
        }
        if notifyPeer {
            sendNotify(
                .status(code: error.code.code, protocolID: NotifyPayload.quickModeProtocol), messageID: messageID,
                &shared)
        }
        emitQuickModeFailure(
            local: exchange.localSelector, remote: exchange.remoteSelector, ruleIndex: exchange.ruleIndex,
            messageID: messageID, role: exchange.role, state: state, error: error, &shared)
        if isEstablished { startPendingQuickModes(&shared) }
    }
}
