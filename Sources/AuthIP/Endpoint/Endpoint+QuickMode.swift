import AuthIPAudit
import AuthIPCrypto
import AuthIPTrust
import AuthIPGSS
import AuthIPErrors
import AuthIPSADatabase
import AuthIPWire
import Foundation

extension Endpoint {
    /// The selectors this side proposes for traffic: its own address, the rule's remote side.
    /// A rule whose remote side is every address (a server's rule toward any client) is
    /// narrowed to the packet's destination.
    func selectors(for traffic: TrafficRequest, rule: ConnectionSecurityRule) -> (local: TrafficSelector, remote: TrafficSelector) {
        var remote = rule.remote
        if remote.addresses.prefixLength == 0 { remote.addresses = AddressRange(traffic.destination) }
        return (TrafficSelector(AddressRange(traffic.source), ipProtocol: rule.local.ipProtocol, port: rule.local.port), remote)
    }

    func encapsulationMode(_ rule: ConnectionSecurityRule, session: MainModeSession) -> UInt16 {
        switch (rule.mode, session.natDetected) {
        case (.transport, false): return EncapsulationMode.transport
        case (.transport, true): return EncapsulationMode.udpTransport
        case (.tunnel, false): return EncapsulationMode.tunnel
        case (.tunnel, true): return EncapsulationMode.udpTunnel
        }
    }

    mutating func allocateSPI() -> UInt32 {
        while true {
            let spi = UInt32(truncatingIfNeeded: random.next())
            if spi >= 0x100, !reservedSPIs.contains(spi), database.quickMode(inboundSPI: spi) == nil {
                reservedSPIs.insert(spi)
                return spi
            }
        }
    }

    /// The initiator's Quick Mode payloads and its exchange state.
    mutating func offerQuickMode(_ session: MainModeSession, local: TrafficSelector, remote: TrafficSelector, messageID: UInt32,
                                 exchangeType: ExchangeType, replaces: UInt64?, ruleIndex: Int? = nil) -> (QuickModeExchange, [Payload])? {
        guard let mm = session.established else { return nil }
        let ruleIndex = ruleIndex ?? session.ruleIndex
        let rule = rules[ruleIndex]
        let set = rule.quickModeCrypto
        let keyPair = set.pfsGroup.flatMap { try? DiffieHellmanKeyPair(group: $0, random: &random) }
        if set.pfsGroup != nil && keyPair == nil { return nil }
        let spi = allocateSPI()
        let nonce = random.bytes(InteropProfile.nonceLength)
        let mode = encapsulationMode(rule, session: session)
        var payloads: [Payload] = [
            .hash(HashPayload(data: mm.proof(of: session.role))), .identification(local.payload), .identification(remote.payload),
            .securityAssociation(QuickModeProposals.payload(for: set, spi: spi, encapsulationMode: mode)),
            .nonce(NoncePayload(data: nonce)),
        ]
        if let keyPair { payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue))) }
        let offer = QuickModeOffer(spi: spi, nonce: nonce, keyPair: keyPair, set: set, encapsulationMode: mode)
        let exchange = QuickModeExchange(messageID: messageID, role: .initiator, exchangeType: exchangeType, ruleIndex: ruleIndex,
                                         localSelector: local, remoteSelector: remote, state: .initiatorOffered(offer), replaces: replaces)
        return (exchange, payloads)
    }

    /// #5: the first Quick Mode, inside exchange 243, carrying Auth1.
    mutating func startFirstQuickMode(_ session: inout MainModeSession) {
        let rule = rules[session.ruleIndex]
        let traffic = session.pendingTraffic.isEmpty ? nil : session.pendingTraffic.removeFirst()
        let (local, remote) = traffic.map { selectors(for: $0, rule: rule) } ?? (rule.local, rule.remote)
        let messageID = InteropProfile.firstQuickModeMessageID
        guard let (exchange, payloads) = offerQuickMode(session, local: local, remote: remote, messageID: messageID,
                                                        exchangeType: .mainMode, replaces: nil) else {
            failMainMode(&session, .local(.errorIpsecIkeDhFailure), notifyPeer: true)
            return
        }
        session.quickModes[messageID] = exchange
        sendRequest(&session, exchange: .mainMode, messageID: messageID, payloads: payloads, purpose: .mainMode)
        store(session)
    }

    /// A later Quick Mode (exchange 244) on an established MM SA.
    mutating func startQuickMode(_ session: inout MainModeSession, traffic: TrafficRequest, ruleIndex: Int? = nil) {
        let ruleIndex = ruleIndex ?? session.ruleIndex
        let (local, remote) = selectors(for: traffic, rule: rules[ruleIndex])
        startQuickMode(&session, local: local, remote: remote, replaces: nil, ruleIndex: ruleIndex)
    }

    mutating func startQuickMode(_ session: inout MainModeSession, local: TrafficSelector, remote: TrafficSelector, replaces: UInt64?,
                                 ruleIndex: Int? = nil) {
        guard var mm = session.established, mm.confirmed, !mm.peerDeleted else { return }
        if mm.agreement.quickModeLimit > 0 && mm.quickModeCount >= Int(mm.agreement.quickModeLimit) { return }
        var messageID = randomMessageID()
        while session.quickModes[messageID] != nil { messageID = randomMessageID() }
        guard let (exchange, payloads) = offerQuickMode(session, local: local, remote: remote, messageID: messageID,
                                                        exchangeType: .quickMode, replaces: replaces, ruleIndex: ruleIndex) else { return }
        mm.quickModeCount += 1
        session.phase = .established(mm)
        session.quickModes[messageID] = exchange
        sendRequest(&session, exchange: .quickMode, messageID: messageID, payloads: payloads, purpose: .quickMode(messageID))
    }

    // MARK: - Responder

    /// #5 at the responder: Auth1 confirms Main Mode; then the Quick Mode is answered in #6
    /// with Auth2.
    mutating func receiveFirstQuickModeRequest(_ inbound: Inbound, mm: EstablishedMainMode, session: MainModeSession) {
        var session = session, mm = mm
        guard let hash = inbound.hash, constantTimeEqual(hash.data, mm.auth1) else {
            session.phase = .established(mm)
            failMainMode(&session, .local(.errorIpsecIkeInvalidHash), notifyPeer: true, respondingTo: inbound.key)
            return
        }
        mm.proofChecked = true
        session.phase = .established(mm)
        if isBlocked([mm.authorization]) {
            failMainMode(&session, .local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true, respondingTo: inbound.key)
            return
        }
        let ruleIndex = quickModeRule(session, mm: mm, identifications: inbound.identifications)
        if ruleIndex.map({ needsExtendedMode(session, ruleIndex: $0) }) != true {
            confirmMainMode(&session, &mm, authorizedRule: ruleIndex ?? session.ruleIndex)
        }
        answerQuickMode(&session, &mm, inbound: inbound, exchangeType: .mainMode)
        session.phase = .established(mm)
        store(session)
    }

    /// A request on exchange 244: a new Quick Mode, or the synchronize that completes one.
    mutating func receiveQuickModeRequest(_ inbound: Inbound, session: MainModeSession) {
        var session = session
        guard var mm = session.established, mm.proofChecked else {
            emitInvalidPacket(.quickMode, session: session)
            store(session)
            return
        }
        let messageID = inbound.header.messageID
        if inbound.notifies.contains(where: { $0.messageType == .quickModeSynchronize }) {
            guard let exchange = session.quickModes[messageID], case .responderAnswered(let agreement) = exchange.state else {
                emitInvalidPacket(.quickMode, session: session)
                store(session)
                return
            }
            session.quickModes[messageID] = nil
            if needsExtendedMode(session, ruleIndex: exchange.ruleIndex) {
                holdForExtendedMode(&session, exchange: exchange, agreement: agreement)
            } else {
                completeQuickMode(&session, mm: mm, exchange: exchange, agreement: agreement)
            }
            sendResponse(&session, to: inbound.key, payloads: [.notify(.quickModeSynchronize)])
            store(session)
            return
        }
        guard mm.confirmed else {
            emitInvalidPacket(.quickMode, session: session)
            store(session)
            return
        }
        guard session.quickModes[messageID] == nil, messageID != InteropProfile.firstQuickModeMessageID || inbound.header.exchangeType != .mainMode else {
            store(session)
            return
        }
        guard let hash = inbound.hash, constantTimeEqual(hash.data, mm.proof(of: session.role.peer)) else {
            emitInvalidPacket(.quickMode, session: session)
            store(session)
            return
        }
        if mm.peerDeleted {
            sendResponse(&session, to: inbound.key, payloads: [.notify(.status(code: WindowsError.errorIpsecIkeMmExpired.code, protocolID: NotifyPayload.quickModeProtocol, reliable: false))])
            store(session)
            return
        }
        answerQuickMode(&session, &mm, inbound: inbound, exchangeType: .quickMode)
        mm.quickModeCount += 1
        session.phase = .established(mm)
        store(session)
    }

    /// Chooses selectors and a proposal for the peer's Quick Mode and sends the answer (#6):
    /// Auth2, the IDs, the chosen SA, Nr (on 244), KE; or NO-PROPOSAL-CHOSEN.
    mutating func answerQuickMode(_ session: inout MainModeSession, _ mm: inout EstablishedMainMode, inbound: Inbound, exchangeType: ExchangeType) {
        let messageID = inbound.header.messageID
        let ids = inbound.identifications
        let first = exchangeType == .mainMode
        var payloads: [Payload] = [.hash(HashPayload(data: mm.proof(of: session.role)))]
        func refuse(_ code: WindowsError, local: TrafficSelector?, remote: TrafficSelector?) {
            payloads.append(.notify(NotifyPayload(messageType: .noProposalChosen, protocolID: NotifyPayload.quickModeProtocol, flags: .reliable)))
            sendResponse(&session, to: inbound.key, payloads: payloads)
            emitQuickModeFailure(session, local: local, remote: remote, ruleIndex: session.ruleIndex, messageID: messageID, role: .responder,
                                 state: .noState, error: .local(code))
        }
        guard ids.count == 2, let peerSelector = TrafficSelector(ids[0]), let localSelector = TrafficSelector(ids[1]),
              let sa = inbound.securityAssociation, let nonce = inbound.nonces.first, !nonce.data.isEmpty else {
            refuse(.errorIpsecIkeInvalidPayload, local: nil, remote: nil)
            return
        }
        guard let ruleIndex = quickModeRule(session, mm: mm, identifications: ids) else {
            refuse(.errorIpsecIkeNoPolicy, local: localSelector, remote: peerSelector)
            return
        }
        if !first, let limit = quickModeLimit(session, mm) {
            refuse(limit, local: localSelector, remote: peerSelector)
            return
        }
        let rule = rules[ruleIndex]
        let mode = encapsulationMode(rule, session: session)
        guard let chosen = QuickModeProposals.choose(from: QuickModeProposals.offers(in: sa), set: rule.quickModeCrypto, encapsulationMode: mode) else {
            refuse(.errorIpsecIkeAttribFail, local: localSelector, remote: peerSelector)
            return
        }
        var pfsSecret = SecretBytes.empty
        var keyPair: DiffieHellmanKeyPair?
        if let group = chosen.pfsGroup {
            guard let ke = inbound.keyExchange, let pair = try? DiffieHellmanKeyPair(group: group, random: &random),
                  let secret = try? pair.sharedSecret(peerPublicValue: ke.data) else {
                refuse(.errorIpsecIkeProcessErrKe, local: localSelector, remote: peerSelector)
                return
            }
            keyPair = pair
            pfsSecret = secret
        }
        let spi = allocateSPI()
        let responderNonce = first ? mm.agreement.responderQuickModeNonce : random.bytes(InteropProfile.nonceLength)
        payloads += [.identification(ids[0]), .identification(ids[1]), .securityAssociation(QuickModeProposals.answer(chosen, spi: spi))]
        if !first { payloads.append(.nonce(NoncePayload(data: responderNonce))) }
        if let keyPair { payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue))) }
        let agreement = QuickModeAgreement(
            proposal: chosen.proposal, pfsGroup: chosen.pfsGroup,
            lifetimeSeconds: min(chosen.lifetimeSeconds ?? rule.quickModeCrypto.lifetimeSeconds, rule.quickModeCrypto.lifetimeSeconds),
            lifetimeKilobytes: min(chosen.lifetimeKilobytes ?? rule.quickModeCrypto.lifetimeKilobytes, rule.quickModeCrypto.lifetimeKilobytes),
            inboundSPI: spi, outboundSPI: chosen.spi, initiatorNonce: nonce.data, responderNonce: responderNonce,
            pfsSecret: pfsSecret, saID: takeSAID())
        session.quickModes[messageID] = QuickModeExchange(
            messageID: messageID, role: .responder, exchangeType: exchangeType, ruleIndex: ruleIndex,
            localSelector: localSelector, remoteSelector: peerSelector, state: .responderAnswered(agreement),
            deadline: now.addingTimeInterval(settings.responderTimeout.seconds))
        sendResponse(&session, to: inbound.key, payloads: payloads)
    }

    /// The responder's rule for a Quick Mode's IDi/IDr: one between the MM SA's addresses,
    /// with its method, whose selectors contain the proposed ones, with the peer's side its own
    /// (`allowsPeerSelector`); once the MM SA is confirmed, only rules that share the
    /// authorization it passed.
    func quickModeRule(_ session: MainModeSession, mm: EstablishedMainMode, identifications ids: [IdentificationPayload]) -> Int? {
        guard ids.count == 2, let peerSelector = TrafficSelector(ids[0]), let localSelector = TrafficSelector(ids[1]) else { return nil }
        let authorized = mm.authorizedRule.map { rules[$0] }
        return rules.indices.first { index in
            let rule = rules[index]
            // A Quick Mode the MM responder starts (manage out) must come from a management prefix.
            let fromManagement = session.role == .responder || rule.managementPrefixes.map { prefixes in
                prefixes.contains { $0.contains(peerSelector.addresses) }
            } ?? true
            return rule.matchesMainMode(local: session.local.ip, remote: session.remote.ip)
                && rule.local.contains(localSelector) && rule.remote.contains(peerSelector)
                && rule.allowsPeerSelector(peerSelector.addresses, peer: session.remote.ip)
                && rule.mainModeAuthentication.offered.contains(mm.method) && fromManagement
                && authorized.map(rule.sharesAuthorization(with:)) != false
        }
    }

    /// Why another Quick Mode of the peer would pass a limit, or nil: the MM SA's QM limit,
    /// the Quick Modes in progress and the QM SAs per MM SA and on the endpoint.
    func quickModeLimit(_ session: MainModeSession, _ mm: EstablishedMainMode) -> WindowsError? {
        let limit = Int(mm.agreement.quickModeLimit)
        if limit > 0 && mm.quickModeCount >= limit { return .errorIpsecIkeQmLimit }
        if session.quickModes.count >= settings.maximumQuickModeNegotiationsPerMainMode
            || database.quickModes(mainModeID: session.id).count >= settings.maximumQuickModeSAsPerMainMode
            || reservedSPIs.count >= settings.maximumQuickModeNegotiations || database.quickModeCount >= settings.maximumQuickModeSAs {
            return .errorIpsecIkeQmLimit
        }
        return nil
    }

    // MARK: - Initiator

    /// #6: Auth2 confirms Main Mode; then the Quick Mode answer.
    mutating func receiveFirstQuickModeResponse(_ inbound: Inbound, mm: EstablishedMainMode, session: MainModeSession) {
        var session = session, mm = mm
        guard let hash = inbound.hash else {
            let error: NegotiationError = inbound.statusCode.map { .remote(WindowsError.lookup($0)) } ?? .local(.errorIpsecIkeInvalidPayload)
            failMainMode(&session, error, notifyPeer: inbound.statusCode == nil)
            return
        }
        guard constantTimeEqual(hash.data, mm.auth2) else {
            failMainMode(&session, .local(.errorIpsecIkeInvalidHash), notifyPeer: true)
            return
        }
        mm.proofChecked = true
        if isBlocked([mm.authorization]) {
            session.phase = .established(mm)
            failMainMode(&session, .local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true)
            return
        }
        if needsExtendedMode(session, ruleIndex: session.ruleIndex) {
            session.negotiationDeadline = now.addingTimeInterval(settings.responderTimeout.seconds)
        } else {
            confirmMainMode(&session, &mm, authorizedRule: session.ruleIndex)
        }
        session.phase = .established(mm)
        acceptQuickModeAnswer(&session, inbound: inbound, messageID: InteropProfile.firstQuickModeMessageID)
        store(session)
    }

    /// A response on exchange 244: the answer to a Quick Mode (then QM synchronize), or the
    /// synchronize that completes it.
    mutating func receiveQuickModeResponse(_ inbound: Inbound, messageID: UInt32, session: MainModeSession) {
        var session = session
        guard let mm = session.established, let exchange = session.quickModes[messageID] else {
            store(session)
            return
        }
        switch exchange.state {
        case .initiatorOffered:
            guard let hash = inbound.hash, constantTimeEqual(hash.data, mm.proof(of: session.role.peer)) else {
                if let code = inbound.statusCode {
                    dropQuickMode(&session, messageID: messageID, error: .remote(WindowsError.lookup(code)), state: .sentFirstPayload)
                } else {
                    emitInvalidPacket(.quickMode, session: session)
                    dropQuickMode(&session, messageID: messageID, error: .local(.errorIpsecIkeInvalidHash), state: .sentFirstPayload)
                }
                store(session)
                return
            }
            acceptQuickModeAnswer(&session, inbound: inbound, messageID: messageID)
        case .initiatorSynchronizing(let agreement):
            session.quickModes[messageID] = nil
            if needsExtendedMode(session, ruleIndex: exchange.ruleIndex) {
                startExtendedMode(&session, exchange: exchange, agreement: agreement)
                return
            }
            completeQuickMode(&session, mm: mm, exchange: exchange, agreement: agreement)
            startPendingQuickModes(&session)
        case .responderAnswered:
            break
        }
        store(session)
    }

    /// The responder's choice: checked against the offer; inbound SA installed; QM synchronize.
    mutating func acceptQuickModeAnswer(_ session: inout MainModeSession, inbound: Inbound, messageID: UInt32) {
        guard let mm = session.established, let exchange = session.quickModes[messageID],
              case .initiatorOffered(let offer) = exchange.state else { return }
        if inbound.notifies.contains(where: { $0.messageType == .noProposalChosen }) {
            dropQuickMode(&session, messageID: messageID, error: .remote(.errorIpsecIkeAttribFail), state: .sentFirstPayload)
            startPendingQuickModes(&session)
            return
        }
        let offers = QuickModeProposals.offers(in: QuickModeProposals.payload(for: offer.set, spi: offer.spi, encapsulationMode: offer.encapsulationMode))
        let first = exchange.exchangeType == .mainMode
        let responderNonce = first ? mm.agreement.responderQuickModeNonce : inbound.nonces.first?.data
        let ids = inbound.identifications
        guard let answer = inbound.securityAssociation.map(QuickModeProposals.offers(in:))?.first,
              offers.contains(where: { $0.proposal == answer.proposal && $0.encapsulationMode == answer.encapsulationMode && $0.pfsGroup == answer.pfsGroup }),
              ids.count == 2, TrafficSelector(ids[0]).map(exchange.localSelector.contains) == true,
              TrafficSelector(ids[1]).map(exchange.remoteSelector.contains) == true,
              let responderNonce, !responderNonce.isEmpty else {
            dropQuickMode(&session, messageID: messageID, error: .local(.errorIpsecIkeProcessErrSa), state: .sentFirstPayload, notifyPeer: true)
            return
        }
        var pfsSecret = SecretBytes.empty
        if let keyPair = offer.keyPair {
            guard let ke = inbound.keyExchange, let secret = try? keyPair.sharedSecret(peerPublicValue: ke.data) else {
                dropQuickMode(&session, messageID: messageID, error: .local(.errorIpsecIkeProcessErrKe), state: .sentFirstPayload, notifyPeer: true)
                return
            }
            pfsSecret = secret
        }
        let rule = rules[exchange.ruleIndex]
        let agreement = QuickModeAgreement(
            proposal: answer.proposal, pfsGroup: answer.pfsGroup,
            lifetimeSeconds: min(answer.lifetimeSeconds ?? rule.quickModeCrypto.lifetimeSeconds, rule.quickModeCrypto.lifetimeSeconds),
            lifetimeKilobytes: min(answer.lifetimeKilobytes ?? rule.quickModeCrypto.lifetimeKilobytes, rule.quickModeCrypto.lifetimeKilobytes),
            inboundSPI: offer.spi, outboundSPI: answer.spi, initiatorNonce: offer.nonce, responderNonce: responderNonce,
            pfsSecret: pfsSecret, saID: takeSAID())
        var synchronizing = exchange
        synchronizing.localSelector = TrafficSelector(ids[0]) ?? exchange.localSelector
        synchronizing.remoteSelector = TrafficSelector(ids[1]) ?? exchange.remoteSelector
        synchronizing.state = .initiatorSynchronizing(agreement)
        session.quickModes[messageID] = synchronizing
        // The inbound SA goes in before QM synchronize leaves, so the peer's first packets land;
        // when Extended Mode follows, its keys wait for SKEYID_em.
        if !needsExtendedMode(session, ruleIndex: exchange.ruleIndex) {
            outputs.append(.installSA(ipsecSA(session: session, mm: mm, exchange: synchronizing, agreement: agreement, direction: .inbound)))
        }
        sendRequest(&session, exchange: .quickMode, messageID: messageID, payloads: [.notify(.quickModeSynchronize)],
                    purpose: .quickMode(messageID))
    }

    /// Starts Quick Modes for traffic that waited for the MM SA.
    mutating func startPendingQuickModes(_ session: inout MainModeSession) {
        while !session.pendingTraffic.isEmpty {
            let traffic = session.pendingTraffic.removeFirst()
            if !coversTraffic(session, traffic) { startQuickMode(&session, traffic: traffic) }
        }
    }

    // MARK: - Completion

    /// Both directions exist: the SA goes in the database and the data plane, and 5451.
    mutating func completeQuickMode(_ session: inout MainModeSession, mm: EstablishedMainMode, exchange: QuickModeExchange, agreement: QuickModeAgreement) {
        reservedSPIs.remove(agreement.inboundSPI)
        let rule = rules[exchange.ruleIndex]
        let record = QuickModeSARecord(
            id: agreement.saID, mainModeID: session.id, role: exchange.role, inboundSPI: agreement.inboundSPI, outboundSPI: agreement.outboundSPI,
            localSelector: exchange.localSelector, remoteSelector: exchange.remoteSelector,
            encapsulation: rule.encapsulation(local: session.local.ip, remote: session.remote.ip), udpEncapsulated: session.natDetected,
            cipher: agreement.proposal.cipher, integrity: agreement.proposal.integrity, pfsGroup: agreement.pfsGroup,
            lifetimeSeconds: agreement.lifetimeSeconds, lifetimeKilobytes: agreement.lifetimeKilobytes,
            created: now, expires: now.addingTimeInterval(TimeInterval(agreement.lifetimeSeconds)))
        do {
            try database.insert(record)
        } catch {
            // Not in the database, so not in the data plane either.
            if exchange.role == .initiator {
                outputs.append(.removeSA(spi: agreement.inboundSPI, direction: .inbound, quickModeSAID: agreement.saID))
            }
            emitQuickModeFailure(session, local: exchange.localSelector, remote: exchange.remoteSelector, ruleIndex: exchange.ruleIndex,
                                 messageID: exchange.messageID, role: exchange.role, state: .sentFinalPayload, error: .local(.errorIpsecIkeError))
            return
        }
        if exchange.role == .responder {
            outputs.append(.installSA(ipsecSA(session: session, mm: mm, exchange: exchange, agreement: agreement, direction: .inbound)))
        }
        outputs.append(.installSA(ipsecSA(session: session, mm: mm, exchange: exchange, agreement: agreement, direction: .outbound)))
        quickModeLinks[record.id] = QuickModeLink(sessionID: session.id, messageID: exchange.messageID, ruleIndex: exchange.ruleIndex)
        if exchange.role == .initiator {
            let margin = min(settings.rekeyMargin.seconds, TimeInterval(agreement.lifetimeSeconds) / 2)
            timers.schedule(.rekey(record.id), at: record.expires.addingTimeInterval(-margin))
        }
        emit(quickModeEstablishedEvent(record, rule: rule, session: session))
    }

    /// One direction of the SA with its keys (KEYMAT per SPI of the receiving side).
    func ipsecSA(session: MainModeSession, mm: EstablishedMainMode, exchange: QuickModeExchange, agreement: QuickModeAgreement,
                 direction: IPsecSA.Direction) -> IPsecSA {
        let spi = direction == .inbound ? agreement.inboundSPI : agreement.outboundSPI
        let keys = QuickModeKeys(derivation: mm.derivation, skeyidD: mm.keys.skeyidD, messageID: exchange.messageID, spi: spi,
                                 initiatorNonce: agreement.initiatorNonce, responderNonce: agreement.responderNonce,
                                 pfsSecret: agreement.pfsSecret, extendedMode: mm.extendedModeBinding,
                                 integrityKeyLength: agreement.proposal.integrity.keyLength,
                                 encryptionKeyLength: agreement.proposal.cipher.keyLength)
        let rule = rules[exchange.ruleIndex]
        let inbound = direction == .inbound
        return IPsecSA(direction: direction, spi: spi, quickModeSAID: agreement.saID,
                       source: inbound ? exchange.remoteSelector : exchange.localSelector,
                       destination: inbound ? exchange.localSelector : exchange.remoteSelector,
                       encapsulation: rule.encapsulation(local: session.local.ip, remote: session.remote.ip),
                       outerSource: inbound ? session.remote : session.local, outerDestination: inbound ? session.local : session.remote,
                       udpEncapsulated: session.natDetected, cipher: agreement.proposal.cipher, integrity: agreement.proposal.integrity,
                       encryptionKey: keys.encryptionKey, integrityKey: keys.integrityKey,
                       lifetimeSeconds: agreement.lifetimeSeconds, lifetimeKilobytes: agreement.lifetimeKilobytes)
    }

    /// Ends a Quick Mode negotiation that failed: 4654, its SPI freed, an installed inbound SA
    /// removed, and the peer told when asked.
    mutating func dropQuickMode(_ session: inout MainModeSession, messageID: UInt32, error: NegotiationError, state: QuickModeState,
                                notifyPeer: Bool = false) {
        guard let exchange = session.quickModes.removeValue(forKey: messageID) else { return }
        session.channel.cancel { $0 == .quickMode(messageID) }
        releaseSPIs(of: exchange)
        if case .initiatorSynchronizing(let agreement) = exchange.state {
            outputs.append(.removeSA(spi: agreement.inboundSPI, direction: .inbound, quickModeSAID: agreement.saID))
        }
        if notifyPeer {
            sendNotify(&session, .status(code: error.code.code, protocolID: NotifyPayload.quickModeProtocol), messageID: messageID)
        }
        emitQuickModeFailure(session, local: exchange.localSelector, remote: exchange.remoteSelector, ruleIndex: exchange.ruleIndex,
                             messageID: messageID, role: exchange.role, state: state, error: error)
        if session.isEstablished { startPendingQuickModes(&session) }
    }
}


/// Compares two byte strings without leaking where they differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
