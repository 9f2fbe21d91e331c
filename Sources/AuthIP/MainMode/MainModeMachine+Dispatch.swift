import AuthIPKeySchedule
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
            // for a peer every check has authorized: before that, nothing decrypts. With TLS
            // the GSS-APIsecret form whose keys verify the message is the peer's.
            if case .authenticating(let auth) = phase, role == .responder, auth.gss.context?.isComplete == true,
                let authorization = auth.gss.authorization
            {
                let forms =
                    auth.gss.method == .tls
                    ? shared.calibrations.tlsSecrets(for: remote.ip, shared.settings.interop) : [.exporter]
                let transcript = shared.calibrations.transcripts(for: remote.ip, shared.settings.interop)[0]
                for form in forms {
                    let mm = keyed(auth, authorization, tlsSecret: form, transcript: transcript, shared)
                    guard let opened = try? mm.protection.open(message, datagram: raw) else { continue }
                    phase = .keyed(mm)
                    return Inbound(
                        header: header, sequence: opened.sequenceNumber, payloads: opened.payloads,
                        chain: opened.plaintextChain, from: from, to: to, digest: DatagramDigest(raw))
                }
                emitInvalidPacket(header.exchangeType, &shared)
                return nil
            }
            guard let protection else {
                emitInvalidPacket(header.exchangeType, &shared)
                return nil
            }
            do {
                let opened = try protection.open(message, datagram: raw)
                return Inbound(
                    header: header, sequence: opened.sequenceNumber, payloads: opened.payloads,
                    chain: opened.plaintextChain, from: from, to: to, digest: DatagramDigest(raw))
            } catch {
                emitInvalidPacket(header.exchangeType, &shared)
                return nil
            }
        }
        // Once keys exist the peer encrypts everything but, as a variant, its Extended Mode GSS
        // rounds on exchange 243 (which Auth3/Auth4 authenticate), when this Extended Mode's
        // rounds are clear: the responder's until the peer's first round says otherwise, the
        // initiator's only when it sends them so. Any other clear message is not from the peer
        // (and is dropped without an event, so that forgeries cannot fill the log).
        if protection != nil {
            let clearRounds =
                role == .responder
                ? extendedModeFraming != .encryptedExtendedModeExchange
                : extendedModeFraming == .clearMainModeExchange
            guard case .extendedMode = phase, clearRounds, header.exchangeType == .mainMode,
                message.clearPayloads.contains(where: { $0.type == .gss })
            else { return nil }
        }
        guard let crypto = message.crypto else { return nil }
        let parts = TranscriptMessage(clear: raw, cryptoLength: crypto.headerLength)
        return Inbound(
            header: header, sequence: crypto.sequenceNumber, payloads: message.clearPayloads, chain: parts.chain,
            from: from, to: to, digest: DatagramDigest(raw), clearHeader: parts.header, clearCrypto: parts.cryptoPayload
        )
    }

    /// Routes a message: a response to what this side asked, or a request from the peer.
    mutating func dispatch(_ inbound: Inbound, _ shared: inout EndpointContext) {
        if channel.wasReceived(inbound.digest) { return }
        if let request = matchResponse(inbound) {
            channel.received(response: inbound.digest)
            follow(inbound)
            receiveResponse(inbound, to: request, &shared)
            return
        }
        let key = inbound.key
        switch channel.classify(key, digest: inbound.digest, now: shared.now) {
        case .duplicate(let datagrams):
            for datagram in datagrams { send(datagram, &shared) }
        case .inProgress:
            break
        case .replay:
            emitInvalidPacket(inbound.header.exchangeType, &shared)
        case .new:
            channel.accept(key, digest: inbound.digest)
            follow(inbound)
            receiveRequest(inbound, &shared)
        }
    }

    /// The request of this side a message answers, if it is a response. Besides the exact key
    /// (exchange type, message ID, seqNUM), Windows variants are matched
    /// (Docs/InteropProfile.md, "Tolerated variants"): a NOTIFY_ACK by the seqNUM its data
    /// names; a response with another seqNUM by exchange type and message ID when only one
    /// request of that kind is outstanding; in Extended Mode, a response on exchange 243 or
    /// 245 with message ID 0 or 1. A message that matches a notify of ours without
    /// acknowledging it is a request of the peer's.
    private mutating func matchResponse(_ inbound: Inbound) -> OutstandingRequest? {
        let key = inbound.key
        if key.exchange == .notify {
            for notify in inbound.notifies {
                guard case .acknowledgement(let sequence) = notify.content else { continue }
                if let request = channel.completeNotify(acknowledging: sequence) { return request }
            }
        }
        let inExtendedMode = if case .extendedMode = phase { role == .initiator } else { false }
        let matched =
            inExtendedMode && [.mainMode, .extendedMode].contains(key.exchange)
            ? channel.complete(
                key, exchanges: [.mainMode, .extendedMode], messageIDs: [0, InteropProfile.extendedModeMessageID])
            : channel.complete(key)
        guard let (matchedKey, request) = matched else { return nil }
        if request.purpose == .notify, !inbound.notifies.contains(where: { $0.messageType == .acknowledgement }) {
            channel.track(matchedKey, request)
            return nil
        }
        return request
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
            case .extendedMode: receiveExtendedModeResponse(inbound, &shared)
            case .authenticating: receiveAuthenticationResponse(inbound, stage: .mainMode, &shared)
            case .keyed: receiveFirstQuickModeResponse(inbound, &shared)
            default: break
            }
        case .quickMode(let messageID):
            receiveQuickModeResponse(inbound, messageID: messageID, &shared)
        case .notify:
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
            case .extendedMode: receiveExtendedModeRequest(inbound, &shared)
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
