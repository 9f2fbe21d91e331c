import AuthIPAudit
import AuthIPWire
import Foundation

/// A datagram's way in: parsed, reassembled when fragmented, a DoS cookie for the initiator,
/// a first message for a new responder session, or a message of a session, opened and handed
/// to its machine.
extension Endpoint {
    mutating func receive(_ bytes: [UInt8], from: EndpointAddress, to: EndpointAddress) {
        guard let message = (try? Message(parsing: bytes)) ?? firstMessageIgnoringEncryption(bytes) else {
            reportInvalidPacket(bytes, from: from)
            return
        }
        let header = message.header
        if case .fragment(let fragment)? = message.payloads.first, message.payloads.count == 1 {
            receiveFragment(fragment, header: header, from: from, to: to)
            return
        }
        if message.crypto == nil {
            if let notify = message.payloads.first.flatMap({
                if case .notify(let n) = $0 { return n } else { return nil }
            }),
                case .dosCookie(let cookie) = notify.content
            {
                receiveDoSCookie(cookie, header: header, from: from)
            }
            return
        }
        let id = sessionID(for: header)
        if header.responderCookie == 0 || (header.exchangeType == .mainMode && id == nil) {
            guard header.exchangeType == .mainMode, message.crypto?.protectedContent == nil else { return }
            receiveFirstMessage(message, raw: bytes, from: from, to: to)
            return
        }
        guard let id else { return }
        withSession(id) { session, shared in
            guard let inbound = session.open(message, raw: bytes, from: from, to: to, &shared) else { return }
            session.dispatch(inbound, &shared)
        }
    }

    /// A Fragment payload: held on its negotiation's budget, or, for a first message, on the
    /// strangers' pool; the whole message once its fragments are in.
    mutating func receiveFragment(
        _ fragment: FragmentPayload, header: ISAKMPHeader, from: EndpointAddress, to: EndpointAddress
    ) {
        let pool: Reassembly.Pool
        if let id = sessionID(for: header) {
            pool = .session(id)
        } else {
            // Fragments of strangers are taken only for a first message: without a cookie, or
            // with a DoS cookie that proves the address.
            let proven =
                header.responderCookie != 0
                && isValidDoSCookie(header.responderCookie, initiatorCookie: header.initiatorCookie, peer: from)
            guard header.responderCookie == 0 || proven else { return }
            if !proven, isInDenialOfServiceMode {
                // Under pressure no fragments are held for unproven strangers: the first one
                // gets the cookie, and the initiator re-sends its #1 with it.
                sendDoSCookie(initiatorCookie: header.initiatorCookie, from: to, to: from)
                return
            }
            pool = .stranger(settings.peerGroup(of: from.ip))
        }
        let key = Reassembly.Key(peer: from, initiatorCookie: header.initiatorCookie, fragmentID: fragment.fragmentID)
        let outcome = reassembly.add(fragment, key: key, pool: pool, now: now, timeout: settings.reassemblyTimeout)
        if outcome.evicted > 0 {
            // The strangers' pool is full: first fragments get DoS cookies for a while.
            reassemblyPressureUntil = now.addingTimeInterval(settings.denialOfServiceCookieSlice.seconds)
            updateDenialOfServiceMode()
        }
        guard let whole = outcome.message else { return }
        if (try? Message(parsing: whole))?.payloads.first.map({ $0.type == .fragment }) == true { return }
        receive(whole, from: from, to: to)
    }

    /// MM #1 with the E flag set (ignored, MS-AIPS 3.3.5.1) after a DoS cookie: the parser
    /// takes a message with a responder cookie as encrypted, so a #1 that names no session is
    /// parsed again as clear.
    private func firstMessageIgnoringEncryption(_ bytes: [UInt8]) -> Message? {
        guard bytes.count >= ISAKMPHeader.size, bytes[18] == ExchangeType.mainMode.rawValue,
            bytes[19] & HeaderFlags.encrypted.rawValue != 0, bytes[20..<24].allSatisfy({ $0 == 0 })
        else { return nil }
        var clear = bytes
        clear[19] &= ~HeaderFlags.encrypted.rawValue
        guard var message = try? Message(parsing: clear), sessionID(for: message.header) == nil else { return nil }
        message.header.flags.insert(.encrypted)
        return message
    }

    /// A packet that does not parse: reported when it names a negotiation, else dropped.
    private mutating func reportInvalidPacket(_ bytes: [UInt8], from: EndpointAddress) {
        guard bytes.count >= ISAKMPHeader.size else { return }
        let cookie = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let responder = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let header = ISAKMPHeader(
            initiatorCookie: cookie, responderCookie: responder, exchangeType: ExchangeType(rawValue: bytes[18]))
        guard let id = sessionID(for: header), let session = sessions[id] else { return }
        session.emitInvalidPacket(header.exchangeType, &context)
    }

    /// The initiator's DoS cookie: #1 again with it.
    private mutating func receiveDoSCookie(_ cookie: UInt64, header: ISAKMPHeader, from: EndpointAddress) {
        guard let id = initiatedByCookie[header.initiatorCookie], sessions[id]?.remote.ip == from.ip else { return }
        withSession(id) { session, shared in session.receiveDoSCookie(cookie, &shared) }
    }
}

extension AuditAddress {
    init(_ address: IPAddress) {
        // 4 or 16 bytes: the initializer cannot fail.
        self = (try? AuditAddress(bytes: address.bytes)) ?? AuditAddress(ipv4: 0)
    }
}
