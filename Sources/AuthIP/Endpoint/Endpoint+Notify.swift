import AuthIPErrors
import AuthIPSADatabase
import AuthIPWire
import Foundation

extension Endpoint {
    /// Sends a notify in its own Notify exchange (246), encrypted once the session has keys.
    /// Reliable notifies go one at a time: the next waits for the acknowledgement.
    mutating func sendNotify(_ session: inout MainModeSession, _ notify: NotifyPayload, messageID: UInt32) {
        let reliable = notify.flags.contains(.reliable)
        if reliable && session.channel.hasOutstandingNotify {
            session.notifyQueue.append(QueuedNotify(payload: notify, messageID: messageID))
            return
        }
        if reliable {
            sendRequest(&session, exchange: .notify, messageID: messageID, payloads: [.notify(notify)], purpose: .notify,
                        maximumRetransmissions: isShuttingDown ? 1 : settings.maximumNotifyRetransmissions)
        } else {
            let key = ExchangeKey(exchange: .notify, messageID: messageID, sequence: session.channel.takeSequence(.notify))
            for datagram in build(&session, key: key, payloads: [.notify(notify)]).datagrams { send(datagram, session: session) }
        }
    }

    /// The next queued reliable notify, or the end of a closing session.
    mutating func sendNextNotify(_ session: inout MainModeSession) {
        if !session.notifyQueue.isEmpty && !session.channel.hasOutstandingNotify {
            let next = session.notifyQueue.removeFirst()
            sendNotify(&session, next.payload, messageID: next.messageID)
        }
        if case .closing = session.phase, !session.channel.hasOutstandingNotify, session.notifyQueue.isEmpty {
            discard(session.id)
        } else {
            store(session)
        }
    }

    mutating func receiveNotifyAcknowledgement(session: MainModeSession) {
        var session = session
        sendNextNotify(&session)
    }

    /// A Notify exchange from the peer: acknowledged when reliable, then acted on.
    mutating func receiveNotifyRequest(_ inbound: Inbound, session: MainModeSession) {
        var session = session
        let notifies = inbound.notifies
        guard !notifies.isEmpty else {
            emitInvalidPacket(.notify, session: session)
            store(session)
            return
        }
        if notifies.contains(where: { $0.flags.contains(.reliable) }) {
            sendResponse(&session, to: inbound.key, payloads: [.notify(.acknowledgement(of: inbound.sequence))])
        }
        store(session)
        for notify in notifies {
            guard let current = sessions[session.id] else { return }
            switch notify.content {
            case .status(let code):
                receiveStatus(WindowsError.lookup(code), quickMode: notify.protocolID == NotifyPayload.quickModeProtocol,
                              messageID: inbound.header.messageID, session: current)
            case .acquire:
                let ids = inbound.identifications.compactMap(TrafficSelector.init)
                if ids.count == 2 {
                    acquire(peerTraffic: TrafficRequest(source: ids[1].addresses.first, destination: ids[0].addresses.first), session: current)
                }
            default:
                break
            }
        }
    }

    /// NOTIFY_STATUS: a failure of the peer, or a delete.
    mutating func receiveStatus(_ code: WindowsError, quickMode: Bool, messageID: UInt32, session: MainModeSession) {
        var session = session
        if quickMode {
            if session.quickModes[messageID] != nil {
                dropQuickMode(&session, messageID: messageID, error: .remote(code), state: .sentFirstPayload)
                store(session)
                return
            }
            let id = quickModeLinks.first { $0.value.sessionID == session.id && $0.value.messageID == messageID }?.key
            if let id { removeQuickModeSA(id: id, notifyPeer: false, reason: nil) }
            return
        }
        guard var mm = session.established, mm.confirmed else {
            if case .closing = session.phase {
                // The peer has dropped the SA too: nobody is left to acknowledge our notices.
                discard(session.id)
                return
            }
            failNegotiation(&session, .mainMode, .remote(code), notifyPeer: false)
            return
        }
        // MS-AIPS 3.1.4: no new Quick Modes; the MM SA goes once its QM SAs have.
        mm.peerDeleted = true
        session.phase = .established(mm)
        for messageID in session.quickModes.keys.sorted() {
            dropQuickMode(&session, messageID: messageID, error: .remote(code), state: .sentFirstPayload)
        }
        store(session)
        if database.quickModes(mainModeID: session.id).isEmpty {
            removeMainModeSA(id: session.id, notifyPeer: false)
        }
    }
}
