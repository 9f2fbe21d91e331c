import AuthIPAudit
import AuthIPCrypto
import AuthIPTrust
import AuthIPGSS
import AuthIPErrors
import AuthIPSADatabase
import AuthIPWire
import Foundation

extension Endpoint {
    /// The peer's proof checked: the MM SA goes in the database, with 4650 or 4651.
    /// With Extended Mode, its identities go in too and the event is 4979–4982.
    mutating func confirmMainMode(_ session: inout MainModeSession, _ mm: inout EstablishedMainMode, authorizedRule: Int,
                                  extendedMode: (exchange: ExtendedModeExchange, method: AuthMethod)? = nil) {
        mm.confirmed = true
        mm.authorizedRule = authorizedRule
        session.negotiationDeadline = nil
        session.phase = .established(mm)
        let rule = rules[session.ruleIndex]
        var record = MainModeSARecord(
            id: session.id, cookies: session.cookies, role: session.role, local: session.local, remote: session.remote,
            localIdentity: mm.localIdentity, remoteIdentity: mm.remoteIdentity, authenticationMethod: mm.method,
            cipher: mm.agreement.algorithms.cipher, hash: mm.agreement.algorithms.hash, diffieHellmanGroup: mm.agreement.group,
            natDetected: session.natDetected, quickModeLimit: Int(mm.agreement.quickModeLimit), created: now, expires: mm.expires,
            ruleName: rule.name)
        if let extendedMode {
            record.localSecondIdentity = extendedMode.exchange.localIdentity
            record.remoteSecondIdentity = extendedMode.exchange.remoteIdentity
            record.secondAuthenticationMethod = extendedMode.method
        }
        try? database.insert(record)
        // Traffic that waited for this MM SA (at either role) gets its Quick Modes.
        startPendingQuickModes(&session)
        if let extendedMode {
            emit(extendedModeEstablishedEvent(session, mm, extended: extendedMode.exchange, method: extendedMode.method))
        } else {
            emit(mainModeEstablishedEvent(session, mm))
        }
    }

    /// A Main Mode negotiation failed: 4652/4653, the peer told when this side found the
    /// error, and no state left but what waits for that notify's acknowledgement.
    mutating func failMainMode(_ session: inout MainModeSession, _ error: NegotiationError, notifyPeer: Bool, respondingTo key: ExchangeKey? = nil,
                               reliably: Bool = true) {
        var method: AuthMethod?
        var certificates: (local: Certificate?, peer: [Certificate])?
        switch session.phase {
        case .authenticating(let auth):
            // Past the end of the list: the last method tried is the last one.
            method = auth.gss.reportedMethod
            if method == .tls {
                let local = rules[session.ruleIndex].mainModeAuthentication.entries(for: .tls).first.flatMap {
                    if case .certificate(let configuration) = $0 { return configuration.identities.first?.certificate } else { return nil }
                }
                certificates = (local, auth.gss.knownPeerChain)
            }
        case .established(let mm):
            method = mm.method
            if mm.method == .tls { certificates = (mm.localCertificate, mm.peerChain) }
        default: break
        }
        emitMainModeFailure(session, error, method: method, certificates: certificates)
        session.channel.cancel { _ in true }
        if notifyPeer {
            let notice = NotifyPayload.status(code: error.code.code, reliable: key == nil && reliably)
            if let key {
                sendResponse(&session, to: key, payloads: [.notify(notice)])
            } else {
                sendNotify(&session, notice, messageID: randomMessageID())
            }
        }
        close(&session)
    }

    /// Leaves a session that is no longer an SA: kept only while its reliable notifies wait
    /// for acknowledgements, then forgotten.
    mutating func close(_ session: inout MainModeSession) {
        for exchange in session.quickModes.values { releaseSPIs(of: exchange) }
        session.quickModes = [:]
        session.phase = .closing(session.protection)
        session.pendingTraffic = []
        session.negotiationDeadline = nil
        if session.channel.hasOutstandingNotify || !session.notifyQueue.isEmpty {
            store(session)
        } else {
            discard(session.id)
        }
    }

    /// Frees the SPI a Quick Mode in progress held.
    mutating func releaseSPIs(of exchange: QuickModeExchange) {
        switch exchange.state {
        case .initiatorOffered(let offer): reservedSPIs.remove(offer.spi)
        case .initiatorSynchronizing(let agreement), .responderAnswered(let agreement): reservedSPIs.remove(agreement.inboundSPI)
        }
    }

    /// Removes an MM SA with its QM SAs: data-plane removals, 5452 per QM SA, 4655; with
    /// `notifyPeer`, a delete notify for each QM SA and then one for the MM SA.
    mutating func removeMainModeSA(id: UInt64, notifyPeer: Bool) {
        guard let removed = database.removeMainMode(id: id) else { return }
        var session = sessions[id]
        for record in removed.quickModes {
            let link = endQuickModeSA(record)
            if notifyPeer, var s = session, let link {
                sendNotify(&s, .status(code: WindowsError.errorIpsecIkeSaDeleted.code, protocolID: NotifyPayload.quickModeProtocol),
                           messageID: link.messageID)
                session = s
            }
        }
        emit(.mainModeEnded(MainModeEnded(localAddress: AuditAddress(removed.mainMode.local.ip),
                                          remoteAddress: AuditAddress(removed.mainMode.remote.ip), keyingModule: .authIP, saID: id)))
        guard var session else { return }
        for exchange in session.quickModes.values {
            if case .initiatorSynchronizing(let agreement) = exchange.state {
                outputs.append(.removeSA(spi: agreement.inboundSPI, direction: .inbound, quickModeSAID: agreement.saID))
            }
            releaseSPIs(of: exchange)
        }
        session.quickModes = [:]
        session.channel.cancel { $0 != .notify }
        if notifyPeer, session.protection != nil {
            sendNotify(&session, .status(code: WindowsError.errorIpsecIkeSaDeleted.code), messageID: randomMessageID())
        }
        close(&session)
    }

    /// Removes one QM SA: data-plane removals and 5452; the peer told when asked. An MM SA
    /// the peer deleted goes with its last QM SA.
    mutating func removeQuickModeSA(id: UInt64, notifyPeer: Bool, reason: WindowsError?) {
        guard let record = database.removeQuickMode(id: id) else { return }
        let link = endQuickModeSA(record)
        guard let link, var session = sessions[link.sessionID] else { return }
        if notifyPeer {
            sendNotify(&session, .status(code: (reason ?? .errorIpsecIkeSaDeleted).code, protocolID: NotifyPayload.quickModeProtocol),
                       messageID: link.messageID)
        }
        store(session)
        if session.established?.peerDeleted == true, database.quickModes(mainModeID: session.id).isEmpty {
            removeMainModeSA(id: session.id, notifyPeer: false)
        }
    }

    /// The data-plane removals and 5452 of a QM SA already out of the database.
    mutating func endQuickModeSA(_ record: QuickModeSARecord) -> QuickModeLink? {
        outputs.append(.removeSA(spi: record.inboundSPI, direction: .inbound, quickModeSAID: record.id))
        outputs.append(.removeSA(spi: record.outboundSPI, direction: .outbound, quickModeSAID: record.id))
        emit(quickModeEndedEvent(record))
        timers.schedule(.rekey(record.id), at: nil)
        return quickModeLinks.removeValue(forKey: record.id)
    }

    /// Administrative removal (Remove-NetIPsecMainModeSA): matching MM SAs and their QM SAs.
    mutating func removeMainModeSAs(matching filter: MainModeSAFilter) {
        for record in database.mainModes(matching: filter) {
            removeMainModeSA(id: record.id, notifyPeer: true)
        }
    }

    /// Counts bytes on an SA; past its kilobyte lifetime it is rekeyed and removed.
    mutating func countBytes(quickModeSAID id: UInt64, inbound: Bool, bytes: UInt64) {
        guard let record = try? database.updateQuickMode(id: id, {
            if inbound { $0.bytesIn &+= bytes } else { $0.bytesOut &+= bytes }
        }), record.kilobyteLifetimeReached else { return }
        if record.role == .initiator { rekey(record.id) }
        removeQuickModeSA(id: record.id, notifyPeer: false, reason: .errorIpsecIkeQmExpired)
    }

    /// Starts the Quick Mode that replaces a QM SA (initiator side).
    mutating func rekey(_ id: UInt64) {
        guard let record = database.quickMode(id: id), var link = quickModeLinks[id], !link.rekeyStarted,
              var session = sessions[link.sessionID] else { return }
        link.rekeyStarted = true
        quickModeLinks[id] = link
        if session.isEstablished, session.established?.peerDeleted == false {
            startQuickMode(&session, local: record.localSelector, remote: record.remoteSelector, replaces: id)
            store(session)
        } else {
            acquire(TrafficRequest(source: record.localSelector.addresses.first, destination: record.remoteSelector.addresses.first))
        }
    }

    /// Tells every peer and removes every SA and negotiation.
    mutating func shutdown() {
        isShuttingDown = true
        for record in database.mainModes() {
            removeMainModeSA(id: record.id, notifyPeer: true)
        }
        for id in sessions.keys.sorted() {
            guard var session = sessions[id], session.isNegotiating else { continue }
            emitMainModeFailure(session, .local(.errorIpsecIkeShuttingDown), method: nil, certificates: nil)
            session.channel.cancel { _ in true }
            close(&session)
        }
    }
}
