import AuthIPErrors
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// Notify exchanges (246): this side's, one reliable notify outstanding at a time, and the
/// peer's: acknowledged, then acted on (failures, deletes, NOTIFY_ACQUIRE).
extension MainModeMachine {
    /// Sends a notify in its own Notify exchange, encrypted once the session has keys.
    /// Reliable notifies go one at a time: the next waits for the acknowledgement.
    mutating func sendNotify(_ notify: NotifyPayload, messageID: UInt32, _ shared: inout EndpointContext) {
        let reliable = notify.flags.contains(.reliable)
        if reliable && channel.hasOutstandingNotify {
            notifyQueue.append(QueuedNotify(payload: notify, messageID: messageID))
            return
        }
        if reliable {
            sendRequest(
                exchange: .notify, messageID: messageID, payloads: [.notify(notify)], purpose: .notify,
                maximumRetransmissions: shared.isShuttingDown ? 1 : shared.settings.maximumNotifyRetransmissions,
                &shared)
        } else {
            let key = ExchangeKey(exchange: .notify, messageID: messageID, sequence: channel.takeSequence(.notify))
            for datagram in build(key: key, payloads: [.notify(notify)], &shared).datagrams { send(datagram, &shared) }
        }
    }

    /// The next queued reliable notify, once none is outstanding.
    mutating func sendNextNotify(_ shared: inout EndpointContext) {
        guard !notifyQueue.isEmpty, !channel.hasOutstandingNotify else { return }
        let next = notifyQueue.removeFirst()
        sendNotify(next.payload, messageID: next.messageID, &shared)
    }

    /// A Notify exchange from the peer: acknowledged when reliable, then acted on.
    mutating func receiveNotifyRequest(_ inbound: Inbound, _ shared: inout EndpointContext) {
        let notifies = inbound.notifies
        guard !notifies.isEmpty else {
            emitInvalidPacket(.notify, &shared)
            return
        }
        if notifies.contains(where: { $0.flags.contains(.reliable) }) {
            sendResponse(to: inbound.key, payloads: [.notify(.acknowledgement(of: inbound.sequence))], &shared)
        }
        for notify in notifies {
            guard !isFinished else { return }
            switch notify.content {
            case .status(let code):
                receiveStatus(
                    WindowsError.lookup(code), quickMode: notify.protocolID == NotifyPayload.quickModeProtocol,
                    messageID: inbound.header.messageID, &shared)
            case .acquire:
                let ids = inbound.identifications.compactMap(TrafficSelector.init)
                if ids.count == 2 {
                    acquire(
                        peerTraffic: TrafficRequest(
                            source: ids[1].addresses.first, destination: ids[0].addresses.first), &shared)
                }
            default:
                break
            }
        }
    }

    /// NOTIFY_STATUS: a failure of the peer, or a delete.
    mutating func receiveStatus(
        _ code: WindowsError, quickMode: Bool, messageID: UInt32, _ shared: inout EndpointContext
    ) {
        if quickMode {
            if quickModes[messageID] != nil {
                dropQuickMode(messageID, error: .remote(code), state: .sentFirstPayload, &shared)
            } else if let saID = quickModeSAs.first(where: { $0.value.messageID == messageID })?.key {
                removeQuickModeSA(saID, notifyPeer: false, reason: nil, &shared)
            }
            return
        }
        guard case .established(let mm, var establishment) = phase else {
            if case .closing = phase {
                // The peer has dropped the SA too: nobody is left to acknowledge our notices.
                channel.cancel { _ in true }
                notifyQueue = []
                return
            }
            // A peer that gives up on this side's refusal: the failure stays this side's own.
            let stage: AuthenticationStage = isInExtendedMode ? .extendedMode : .mainMode
            failNegotiation(
                stage, negotiation(stage)?.failure(notified: code.code) ?? .remote(code), notifyPeer: false, &shared)
            return
        }
        // MS-AIPS 3.1.4: no new Quick Modes; the MM SA goes once its QM SAs have.
        establishment.peerDeleted = true
        phase = .established(mm, establishment)
        for messageID in quickModes.keys.sorted() {
            dropQuickMode(messageID, error: .remote(code), state: .sentFirstPayload, &shared)
        }
        if shared.database.quickModes(mainModeID: id).isEmpty { remove(notifyPeer: false, &shared) }
    }
}
