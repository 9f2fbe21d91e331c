import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// How a Main Mode ends up in the database, fails, is removed, and closes.
extension MainModeMachine {
    /// The peer's proof checked (and Extended Mode done, when there is one): the MM SA goes in
    /// the database with 4650/4651, or with its EM identities and 4979/4981. False when the
    /// database refused it, and the negotiation failed.
    @discardableResult
    mutating func confirm(
        authorizedRule: Int, extendedMode: ExtendedModeOutcome? = nil, _ shared: inout EndpointContext
    ) -> Bool {
        guard let mm = keyed else { return false }
        let rule = shared.rules[ruleIndex]
        var record = MainModeSARecord(
            id: id, cookies: cookies, role: role, local: local, remote: remote,
            localIdentity: mm.localIdentity, remoteIdentity: mm.remoteIdentity, authenticationMethod: mm.method,
            cipher: mm.agreement.algorithms.cipher, hash: mm.agreement.algorithms.hash,
            diffieHellmanGroup: mm.agreement.group,
            natDetected: natDetected, quickModeLimit: Int(mm.agreement.quickModeLimit), created: shared.now,
            expires: mm.expires,
            ruleName: rule.name)
        if let extendedMode {
            record.localSecondIdentity = extendedMode.proof.localIdentity
            record.remoteSecondIdentity = extendedMode.proof.remoteIdentity
            record.secondAuthenticationMethod = extendedMode.method
        }
        do {
            try shared.database.insert(record)
        } catch {
            failMainMode(.local(.errorIpsecIkeError), notifyPeer: true, &shared)
            return false
        }
        negotiationDeadline = nil
        phase = .established(
            mm, Establishment(authorizedRule: authorizedRule, extendedModeBinding: extendedMode?.proof.binding))
        // Traffic that waited for this MM SA (at either role) gets its Quick Modes.
        startPendingQuickModes(&shared)
        if let extendedMode {
            shared.emit(NegotiationEvents.extendedModeEstablished(self, mm, extendedMode, shared))
        } else {
            shared.emit(NegotiationEvents.mainModeEstablished(self, mm, shared))
        }
        return true
    }

    /// A Main Mode negotiation failed: 4652/4653, the peer told when this side found the
    /// error, and no state left but what waits for that notify's acknowledgement.
    mutating func failMainMode(
        _ error: NegotiationError, notifyPeer: Bool, respondingTo key: ExchangeKey? = nil, reliably: Bool = true,
        _ shared: inout EndpointContext
    ) {
        var method: AuthMethod?
        var certificates: (local: Certificate?, peer: CertificateSummary?)?
        switch phase {
        case .authenticating(let auth):
            // Past the end of the list: the last method tried is the last one.
            method = auth.gss.reportedMethod
            if method == .tls {
                let local = shared.rules[ruleIndex].mainModeAuthentication.entries(for: .tls).first.flatMap {
                    if case .certificate(let configuration) = $0 {
                        return configuration.identities.first?.certificate
                    } else {
                        return nil
                    }
                }
                certificates = (local, CertificateSummary(auth.gss.knownPeerChain))
            }
        case .keyed(let mm), .extendedMode(let mm, _), .established(let mm, _):
            method = mm.method
            if mm.method == .tls { certificates = (mm.localCertificate, mm.peerCertificate) }
        default:
            break
        }
        emitMainModeFailure(error, method: method, certificates: certificates, &shared)
        channel.cancel { _ in true }
        if notifyPeer { tellPeer(error.code, respondingTo: key, reliably: reliably, &shared) }
        close(&shared)
    }

    /// Leaves a session that is no longer an SA: kept only while its reliable notifies wait
    /// for acknowledgements (`isFinished` then tells `Endpoint` to forget it).
    mutating func close(_ shared: inout EndpointContext) {
        for exchange in quickModes.values { shared.reservedSPIs.remove(exchange.reservedSPI) }
        // The first Quick Mode parked in an Extended Mode: its SPI, and the inbound SA the
        // initiator installed before #11 (whatever ends the Extended Mode: a failure, a
        // refused MM SA, shutdown).
        if case .extendedMode(_, let em) = phase, let first = em.firstQuickMode {
            shared.reservedSPIs.remove(first.agreement.inboundSPI)
            if case .finalSent = em.state {
                shared.outputs.append(
                    .removeSA(spi: first.agreement.inboundSPI, direction: .inbound, quickModeSAID: first.agreement.saID)
                )
            }
        }
        for (_, gss) in negotiations { if let wait = gss.wait { shared.stopAwaiting(wait, session: id) } }
        quickModes = [:]
        phase = .closing(protection)
        pendingTraffic = []
        negotiationDeadline = nil
    }

    /// Removes the MM SA with its QM SAs: data-plane removals, 5452 per QM SA, 4655; with
    /// `notifyPeer`, a delete notify for each QM SA and then one for the MM SA.
    mutating func remove(notifyPeer: Bool, _ shared: inout EndpointContext) {
        guard let removed = shared.database.removeMainMode(id: id) else { return }
        for record in removed.quickModes {
            Self.end(record, &shared)
            if let link = quickModeSAs.removeValue(forKey: record.id), notifyPeer {
                sendNotify(
                    .status(
                        code: WindowsError.errorIpsecIkeSaDeleted.code, protocolID: NotifyPayload.quickModeProtocol),
                    messageID: link.messageID, &shared)
            }
        }
        shared.emit(NegotiationEvents.mainModeEnded(removed.mainMode))
        for exchange in quickModes.values {
            if case .synchronizing(let agreement) = exchange.state {
                shared.outputs.append(
                    .removeSA(spi: agreement.inboundSPI, direction: .inbound, quickModeSAID: agreement.saID))
            }
        }
        channel.cancel { $0 != .notify }
        if notifyPeer, protection != nil {
            sendNotify(
                .status(code: WindowsError.errorIpsecIkeSaDeleted.code), messageID: shared.randomMessageID(), &shared)
        }
        close(&shared)
    }

    /// Removes one QM SA of this MM SA: data-plane removals and 5452; the peer told when
    /// asked. An MM SA the peer deleted goes with its last QM SA.
    mutating func removeQuickModeSA(
        _ saID: UInt64, notifyPeer: Bool, reason: WindowsError?, _ shared: inout EndpointContext
    ) {
        guard let record = shared.database.removeQuickMode(id: saID) else { return }
        Self.end(record, &shared)
        guard let link = quickModeSAs.removeValue(forKey: saID) else { return }
        if notifyPeer {
            sendNotify(
                .status(code: (reason ?? .errorIpsecIkeSaDeleted).code, protocolID: NotifyPayload.quickModeProtocol),
                messageID: link.messageID, &shared)
        }
        if case .established(_, let establishment) = phase, establishment.peerDeleted, quickModeSAs.isEmpty {
            remove(notifyPeer: false, &shared)
        }
    }

    /// The data-plane removals and 5452 of a QM SA already out of the database.
    static func end(_ record: QuickModeSARecord, _ shared: inout EndpointContext) {
        shared.outputs.append(.removeSA(spi: record.inboundSPI, direction: .inbound, quickModeSAID: record.id))
        shared.outputs.append(.removeSA(spi: record.outboundSPI, direction: .outbound, quickModeSAID: record.id))
        shared.emit(NegotiationEvents.quickModeEnded(record))
    }

    /// Starts the Quick Mode that replaces a QM SA of this side; `.acquire` when this MM SA
    /// cannot carry it (deleted by the peer, or at its QM limit): a new Main Mode must.
    mutating func rekey(_ saID: UInt64, _ shared: inout EndpointContext) -> RekeyOutcome {
        guard var link = quickModeSAs[saID], link.rekeyAt != nil, let record = shared.database.quickMode(id: saID)
        else { return .none }
        link.rekeyAt = nil
        quickModeSAs[saID] = link
        guard case .established(let mm, let establishment) = phase, !establishment.peerDeleted,
            !mm.reachedQuickModeLimit
        else {
            return .acquire(
                TrafficRequest(
                    source: record.localSelector.addresses.first, destination: record.remoteSelector.addresses.first))
        }
        startQuickMode(local: record.localSelector, remote: record.remoteSelector, &shared)
        return .none
    }

    /// The QM SAs whose rekey is due.
    func dueRekeys(at now: Date) -> [UInt64] {
        quickModeSAs.filter { ($0.value.rekeyAt ?? .distantFuture) <= now }.map(\.key).sorted()
    }
}

/// What a rekey left for `Endpoint` to do.
enum RekeyOutcome {
    case none
    /// The MM SA cannot carry it: the traffic needs an SA anew.
    case acquire(TrafficRequest)
}
