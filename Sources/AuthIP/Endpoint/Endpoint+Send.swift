import AuthIPCrypto
import AuthIPTrust
import AuthIPGSS
import AuthIPSADatabase
import AuthIPWire
import Foundation

extension Endpoint {
    /// Hands one datagram to the driver.
    mutating func send(_ datagram: [UInt8], session: MainModeSession) {
        outputs.append(.send(datagram, from: session.local, to: session.remote))
    }

    /// Sends a request of this side and tracks it for retransmission; returns the plaintext
    /// payload chain (what the transcripts hash).
    @discardableResult
    mutating func sendRequest(_ session: inout MainModeSession, exchange: ExchangeType, messageID: UInt32, payloads: [Payload],
                              purpose: RequestPurpose, maximumRetransmissions: Int? = nil) -> [UInt8] {
        let sequence = session.channel.takeSequence(exchange)
        let key = ExchangeKey(exchange: exchange, messageID: messageID, sequence: sequence)
        let (datagrams, chain) = build(&session, key: key, payloads: payloads)
        for datagram in datagrams { send(datagram, session: session) }
        let maximum = maximumRetransmissions ?? (purpose == .notify ? settings.maximumNotifyRetransmissions : settings.maximumRetransmissions)
        session.channel.track(key, OutstandingRequest(datagrams: datagrams, purpose: purpose, maximumRetransmissions: maximum,
                                                      interval: settings.retransmitInterval,
                                                      nextAttempt: now.addingTimeInterval(settings.retransmitInterval.seconds)))
        return chain
    }

    /// Sends the response to a request and keeps it for duplicates of that request.
    @discardableResult
    mutating func sendResponse(_ session: inout MainModeSession, to key: ExchangeKey, payloads: [Payload]) -> [UInt8] {
        let (datagrams, chain) = build(&session, key: key, payloads: payloads)
        for datagram in datagrams { send(datagram, session: session) }
        session.channel.remember(response: datagrams, for: key, now: now)
        return chain
    }

    /// The datagrams of a message: clear before the session has keys, encrypted after;
    /// fragmented when too large for the minimum MTU and the peer can reassemble.
    mutating func build(_ session: inout MainModeSession, key: ExchangeKey, payloads: [Payload]) -> (datagrams: [[UInt8]], chain: [UInt8]) {
        let header = ISAKMPHeader(initiatorCookie: session.cookies.initiator, responderCookie: session.cookies.responder,
                                  exchangeType: key.exchange, messageID: key.messageID)
        let chain = PayloadChain.serialize(payloads)
        let datagram: [UInt8]
        if let protection = session.protection {
            // A message that cannot be sealed is not sent at all, never in clear.
            guard let sealed = try? protection.seal(header: header, sequenceNumber: key.sequence,
                                                    iv: random.bytes(protection.algorithms.cipher.blockSize),
                                                    firstPayload: chain.first, chain: chain.bytes) else { return ([], chain.bytes) }
            datagram = sealed
        } else {
            datagram = Message(header: header, payloads: [.crypto(CryptoPayload(sequenceNumber: key.sequence))] + payloads).serialized()
        }
        guard session.peerSupportsFragmentation else { return ([datagram], chain.bytes) }
        let ipv4 = session.remote.isIPv4
        let mtu = ipv4 ? settings.fragmentMTUIPv4 : settings.fragmentMTUIPv6
        let fragments = Fragmentation.split(datagram, header: header, fragmentID: session.nextFragmentID, mtu: mtu, ipv4: ipv4)
        if fragments.count > 1 { session.nextFragmentID &+= 1 }
        return (fragments, chain.bytes)
    }

    /// A nonzero random 32-bit value (message IDs).
    mutating func randomMessageID() -> UInt32 {
        while true {
            let value = UInt32(truncatingIfNeeded: random.next())
            if value != 0 { return value }
        }
    }

    /// A nonzero random cookie.
    mutating func randomCookie() -> UInt64 {
        while true {
            let value = random.next()
            if value != 0 { return value }
        }
    }
}
