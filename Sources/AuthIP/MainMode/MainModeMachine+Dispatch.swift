import AuthIPWire
import Foundation

/// A message of this session: opened (decrypted once keys exist), matched to what this side
/// asked or taken as the peer's request, and handed to the exchange it belongs to.
extension MainModeMachine {
    /// Decrypts (or takes as is) a message; reports and drops what does not verify.
    mutating func open(
        _ message: Message, raw: [UInt8], from: EndpointAddress, to: EndpointAddress,
        _ shared: inout EndpointContext
    ) -> Inbound? {
        let header = message.header
        if header.flags.contains(.encrypted) {
            // The responder derives its keys when the first encrypted message comes, and only
            // for a peer every check has authorized: before that, nothing decrypts.
            if case .authenticating(let auth) = phase, role == .responder, auth.gss.context?.isComplete == true,
                let authorization = auth.gss.authorization
            {
                establishKeys(auth, authorization, &shared)
            }
            guard let protection else {
                emitInvalidPacket(header.exchangeType, &shared)
                return nil
            }
            do {
                let opened = try protection.open(raw)
                return Inbound(
                    header: header, sequence: opened.sequenceNumber, payloads: opened.payloads,
                    chain: opened.plaintextChain, from: from, to: to)
            } catch {
                emitInvalidPacket(header.exchangeType, &shared)
                return nil
            }
        }
        // Once keys exist the peer encrypts everything: a clear message is not from it (and
        // is dropped without an event, so that forgeries cannot fill the log).
        if protection != nil { return nil }
        guard let crypto = message.crypto else { return nil }
        let chainStart = ISAKMPHeader.size + crypto.headerLength
        return Inbound(
            header: header, sequence: crypto.sequenceNumber, payloads: message.clearPayloads,
            chain: Array(raw[min(chainStart, raw.count)...]), from: from, to: to)
    }

    /// Routes a message: a response to what this side asked, or a request from the peer.
    mutating func dispatch(_ inbound: Inbound, _ shared: inout EndpointContext) {
        let key = inbound.key
        if let request = channel.complete(key) {
            channel.answered(key)
            follow(inbound)
            receiveResponse(inbound, to: request, &shared)
            return
        }
        if channel.wasAnswered(key) { return }
        switch channel.classify(key, now: shared.now) {
        case .duplicate(let datagrams):
            for datagram in datagrams { send(datagram, &shared) }
        case .inProgress:
            break
        case .replay:
            emitInvalidPacket(inbound.header.exchangeType, &shared)
        case .new:
            channel.accept(key)
            follow(inbound)
            receiveRequest(inbound, &shared)
        }
    }

    /// Behind a NAT the peer's port changes (500 → 4500, or a new mapping): from an
    /// authenticated message that is new or answers ours, this side answers where it came from.
    private mutating func follow(_ inbound: Inbound) {
        guard natDetected, inbound.header.flags.contains(.encrypted), inbound.from.ip == remote.ip,
            inbound.from != remote || inbound.to != local
        else { return }
        remote = inbound.from
        local = inbound.to
    }

    private mutating func receiveResponse(
        _ inbound: Inbound, to request: OutstandingRequest, _ shared: inout EndpointContext
    ) {
        switch request.purpose {
        case .mainMode:
            switch phase {
            case .offered(let offer): receiveSecond(inbound, offer: offer, &shared)
            case .authenticating: receiveAuthenticationResponse(inbound, stage: .mainMode, &shared)
            case .keyed: receiveFirstQuickModeResponse(inbound, &shared)
            default: break
            }
        case .quickMode(let messageID):
            receiveQuickModeResponse(inbound, messageID: messageID, &shared)
        case .notify:
            guard inbound.notifies.contains(where: { $0.messageType == .acknowledgement }) else {
                // Not an acknowledgement: the request stands and is sent again.
                channel.track(inbound.key, request)
                return
            }
            sendNextNotify(&shared)
        case .extendedMode:
            receiveExtendedModeResponse(inbound, &shared)
        }
    }

    private mutating func receiveRequest(_ inbound: Inbound, _ shared: inout EndpointContext) {
        let encrypted = inbound.header.flags.contains(.encrypted)
        switch inbound.header.exchangeType {
        case .mainMode where role == .responder:
            switch phase {
            case .authenticating where !encrypted: receiveAuthenticationRequest(inbound, stage: .mainMode, &shared)
            case .keyed where encrypted: receiveFirstQuickModeRequest(inbound, &shared)
            default: emitInvalidPacket(inbound.header.exchangeType, &shared)
            }
        case .quickMode:
            receiveQuickModeRequest(inbound, &shared)
        case .notify:
            receiveNotifyRequest(inbound, &shared)
        case .extendedMode where role == .responder:
            receiveExtendedModeRequest(inbound, &shared)
        default:
            emitInvalidPacket(inbound.header.exchangeType, &shared)
        }
    }
}
