import AuthIPCrypto
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// MM #1 at the responder: a retransmission answered again; otherwise the per-peer limits,
/// DoS-cookie mode and the rule before a new session answers it.
extension Endpoint {
    mutating func receiveFirstMessage(_ message: Message, raw: [UInt8], from: EndpointAddress, to: EndpointAddress) {
        let header = message.header
        if let id = answeredByFirstContact[FirstContact(initiatorCookie: header.initiatorCookie, peer: from)] {
            // #1 again: answer it again (or ignore it while the answer is being made).
            let key = ExchangeKey(exchange: .mainMode, messageID: 0, sequence: message.crypto?.sequenceNumber ?? 0)
            withSession(id) { session, shared in
                let status = session.channel.classify(key, digest: DatagramDigest(raw), now: shared.now)
                if case .duplicate(let datagrams) = status {
                    for datagram in datagrams { session.send(datagram, &shared) }
                }
            }
            return
        }
        guard !context.isShuttingDown, header.messageID == 0, let crypto = message.crypto, crypto.sequenceNumber == 0
        else { return }
        let peerSessions = (sessionsByPeerGroup[settings.peerGroup(of: from.ip)] ?? []).compactMap { sessions[$0] }
        let shard = context.shard
        if peerSessions.filter(\.isEstablished).count > shard.share(of: settings.maximumMainModeSAsPerPeer)
            || peerSessions.filter(\.isNegotiating).count > shard.share(of: settings.maximumNegotiationsPerPeer)
        {
            return
        }
        let responderCookie: UInt64
        if header.responderCookie != 0 {
            guard isValidDoSCookie(header.responderCookie, initiatorCookie: header.initiatorCookie, peer: from) else {
                return
            }
            responderCookie = header.responderCookie
        } else if isInDenialOfServiceMode {
            sendDoSCookie(initiatorCookie: header.initiatorCookie, from: to, to: from)
            return
        } else {
            responderCookie = context.randomCookie()
        }
        let parts = TranscriptMessage(clear: raw, cryptoLength: crypto.headerLength)
        let inbound = Inbound(
            header: header, sequence: 0, payloads: message.clearPayloads, chain: parts.chain, from: from, to: to,
            digest: DatagramDigest(raw), clearHeader: parts.header, clearCrypto: parts.cryptoPayload)
        guard
            let ruleIndex = rules[context.activeRules].firstIndex(where: {
                $0.matchesMainMode(local: to.ip, remote: from.ip)
            })
        else {
            return
        }
        let cookies = CookiePair(initiator: header.initiatorCookie, responder: responderCookie)
        guard let session = MainModeMachine.answering(inbound, cookies: cookies, ruleIndex: ruleIndex, &context) else {
            return
        }
        register(session)
    }

    // MARK: - DoS cookies

    /// The stateless cookie of MS-IKEE 3.9: an HMAC of the initiator cookie and address under
    /// a secret, for the current time slice (`slice` 0) or the one before (1).
    func dosCookie(initiatorCookie: UInt64, peer: EndpointAddress, slice: Int) -> UInt64 {
        let period = settings.denialOfServiceCookieSlice.seconds
        let index = UInt64(max(0, Int64(now.timeIntervalSince1970 / period) - Int64(slice)))
        let mac = HashAlgorithm.sha256.hmac(
            key: denialOfServiceSecret, initiatorCookie.bigEndianBytes, peer.ip.bytes,
            [UInt8(peer.port >> 8), UInt8(peer.port & 0xFF)], index.bigEndianBytes)
        return mac.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } | 1
    }

    /// Answers a #1 (or its first fragment) with the cookie, keeping no state.
    mutating func sendDoSCookie(initiatorCookie: UInt64, from local: EndpointAddress, to peer: EndpointAddress) {
        let reply = Message(
            header: ISAKMPHeader(initiatorCookie: initiatorCookie, exchangeType: .mainMode),
            payloads: [.notify(.dosCookie(dosCookie(initiatorCookie: initiatorCookie, peer: peer, slice: 0)))])
        context.outputs.append(.send(reply.serialized(), from: local, to: peer))
    }

    func isValidDoSCookie(_ cookie: UInt64, initiatorCookie: UInt64, peer: EndpointAddress) -> Bool {
        (0...1).contains { dosCookie(initiatorCookie: initiatorCookie, peer: peer, slice: $0) == cookie }
    }
}
