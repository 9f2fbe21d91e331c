import AuthIPCrypto
import AuthIPErrors
import AuthIPKeySchedule
import AuthIPWire
import Foundation

/// A session's messages: clear before it has keys, encrypted after; requests tracked for
/// retransmission, responses kept for the peer's retransmissions; fragmented for the minimum
/// MTU when the peer can reassemble.
extension MainModeMachine {
    /// Hands one datagram to the driver.
    func send(_ datagram: [UInt8], _ shared: inout EndpointContext) {
        shared.outputs.append(.send(datagram, from: local, to: remote))
    }

    /// Sends a request of this side and tracks it for retransmission; returns the message as
    /// the transcripts take it.
    @discardableResult
    mutating func sendRequest(
        exchange: ExchangeType, messageID: UInt32, payloads: [Payload], purpose: RequestPurpose,
        maximumRetransmissions: Int? = nil, _ shared: inout EndpointContext
    ) -> TranscriptMessage {
        let sequence: UInt32
        switch shared.settings.interop.sequenceNumbers {
        case .perRequest: sequence = channel.takeSequence(exchange)
        case .perMessage: sequence = channel.takeSequence(nil)
        case .perExchange: sequence = 0
        }
        let key = ExchangeKey(exchange: exchange, messageID: messageID, sequence: sequence)
        let (datagrams, message) = build(key: key, payloads: payloads, &shared)
        for datagram in datagrams { send(datagram, &shared) }
        let settings = shared.settings
        let maximum =
            maximumRetransmissions
            ?? (purpose == .notify ? settings.maximumNotifyRetransmissions : settings.maximumRetransmissions)
        channel.track(
            key,
            OutstandingRequest(
                datagrams: datagrams, purpose: purpose, maximumRetransmissions: maximum,
                interval: settings.retransmitInterval,
                nextAttempt: shared.now.addingTimeInterval(settings.retransmitInterval.seconds)))
        return message
    }

    /// Sends the response to a request and keeps it for duplicates of that request.
    @discardableResult
    mutating func sendResponse(
        to key: ExchangeKey, payloads: [Payload], _ shared: inout EndpointContext
    ) -> TranscriptMessage {
        // The profile's variants: our own seqNUM instead of the request's, another EM message ID.
        var sent = key
        if shared.settings.interop.sequenceNumbers == .perMessage { sent.sequence = channel.takeSequence(nil) }
        if sent.exchange == .extendedMode { sent.messageID = shared.settings.interop.extendedModeResponseMessageID }
        let (datagrams, message) = build(key: sent, payloads: payloads, &shared)
        for datagram in datagrams { send(datagram, &shared) }
        channel.remember(response: datagrams, for: key, now: shared.now)
        return message
    }

    /// The datagrams of a message: clear before the session has keys, encrypted after;
    /// fragmented when too large for the minimum MTU and the peer can reassemble. With them,
    /// the message as the transcripts take it.
    mutating func build(
        key: ExchangeKey, payloads: [Payload], _ shared: inout EndpointContext
    ) -> (datagrams: [[UInt8]], message: TranscriptMessage) {
        let profile = shared.settings.interop
        var header = ISAKMPHeader(
            initiatorCookie: cookies.initiator, responderCookie: cookies.responder,
            exchangeType: key.exchange, messageID: key.messageID)
        let isFirstMessage = key.exchange == .mainMode && cookies.responder == 0
        if isFirstMessage, profile.encryptedFlagOnFirstMessage { header.flags.insert(.encrypted) }
        let chain = PayloadChain.serialize(payloads)
        let datagram: [UInt8]
        let message: TranscriptMessage
        if let protection, !sendsInClear(key) {
            // A message that cannot be sealed is not sent at all, never in clear.
            guard
                let sealed = try? protection.seal(
                    header: header, sequenceNumber: key.sequence,
                    iv: shared.random.bytes(protection.algorithms.cipher.blockSize),
                    firstPayload: chain.first, chain: chain.bytes,
                    namingFirstPayload: profile.encryptedCryptoNamesFirstPayload)
            else { return ([], TranscriptMessage(chain: chain.bytes)) }
            datagram = sealed
            message = TranscriptMessage(chain: chain.bytes)
        } else {
            datagram = Message(
                header: header, payloads: [.crypto(CryptoPayload(sequenceNumber: key.sequence))] + payloads
            ).serialized()
            message = TranscriptMessage(clear: datagram, cryptoLength: CryptoPayload(sequenceNumber: 0).headerLength)
        }
        guard peerSupportsFragmentation else { return ([datagram], message) }
        let ipv4 = remote.isIPv4
        let mtu = ipv4 ? shared.settings.fragmentMTUIPv4 : shared.settings.fragmentMTUIPv6
        let fragments = Fragmentation.split(
            datagram, header: header, fragmentID: nextFragmentID, mtu: mtu, ipv4: ipv4,
            extraFlags: profile.extraFragmentFlags)
        if fragments.count > 1 { nextFragmentID &+= 1 }
        return (fragments, message)
    }

    /// Whether a message goes in clear although the session has keys: Extended Mode GSS rounds
    /// on exchange 243 when this Extended Mode's framing is clear
    /// (`ExtendedModeFraming.clearMainModeExchange`).
    func sendsInClear(_ key: ExchangeKey) -> Bool {
        guard key.exchange == .mainMode, case .extendedMode = phase else { return false }
        return extendedModeFraming == .clearMainModeExchange
    }

    /// Tells the peer why this side ends a negotiation: in the response to `key` when there is
    /// one, else in a notify of its own (reliable unless `reliably` is false).
    mutating func tellPeer(
        _ code: WindowsError, respondingTo key: ExchangeKey?, reliably: Bool = true, _ shared: inout EndpointContext
    ) {
        let notice = NotifyPayload.status(code: code.code, reliable: key == nil && reliably)
        if let key {
            sendResponse(to: key, payloads: [.notify(notice)], &shared)
        } else {
            sendNotify(notice, messageID: shared.randomMessageID(), &shared)
        }
    }
}
