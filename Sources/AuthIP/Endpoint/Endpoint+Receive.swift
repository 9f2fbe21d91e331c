import AuthIPAudit
import AuthIPCrypto
import AuthIPTrust
import AuthIPGSS
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// A received message, opened: its header, plaintext payloads and the raw plaintext chain the
/// authentication transcripts hash.
struct Inbound {
    var header: ISAKMPHeader
    var sequence: UInt32
    var payloads: [Payload]
    var chain: [UInt8]
    var from: EndpointAddress
    var to: EndpointAddress

    var key: ExchangeKey { ExchangeKey(exchange: header.exchangeType, messageID: header.messageID, sequence: sequence) }

    func first<T>(_ extract: (Payload) -> T?) -> T? { payloads.lazy.compactMap(extract).first }
    func all<T>(_ extract: (Payload) -> T?) -> [T] { payloads.compactMap(extract) }

    var gss: GSSPayload? { first { if case .gss(let p) = $0 { return p } else { return nil } } }
    var hash: HashPayload? { first { if case .hash(let p) = $0 { return p } else { return nil } } }
    var notifies: [NotifyPayload] { all { if case .notify(let p) = $0 { return p } else { return nil } } }
    var nonces: [NoncePayload] { all { if case .nonce(let p) = $0 { return p } else { return nil } } }
    var securityAssociation: SecurityAssociationPayload? { first { if case .securityAssociation(let p) = $0 { return p } else { return nil } } }
    var identifications: [IdentificationPayload] { all { if case .identification(let p) = $0 { return p } else { return nil } } }
    var keyExchange: KeyExchangePayload? { first { if case .keyExchange(let p) = $0 { return p } else { return nil } } }
    var auth: AuthPayload? { first { if case .auth(let p) = $0 { return p } else { return nil } } }
    var vendors: [KnownVendor] { all { if case .vendorID(let p) = $0 { return p.knownVendor } else { return nil } } }
    var natDiscovery: [NATDiscoveryPayload] { all { if case .natDiscovery(let p) = $0 { return p } else { return nil } } }
    var gssIdentity: GSSIdentityPayload? { first { if case .gssIdentity(let p) = $0 { return p } else { return nil } } }

    /// The error code of a NOTIFY_STATUS in the message (either numbering).
    var statusCode: UInt32? {
        for notify in notifies { if case .status(let code) = notify.content { return code } }
        return nil
    }
}

extension Endpoint {
    mutating func receive(_ bytes: [UInt8], from: EndpointAddress, to: EndpointAddress) {
        guard let message = try? Message(parsing: bytes) else {
            reportInvalidPacket(bytes, from: from, to: to)
            return
        }
        let header = message.header
        if case .fragment(let fragment)? = message.payloads.first, message.payloads.count == 1 {
            receiveFragment(fragment, header: header, from: from, to: to)
            return
        }
        if message.crypto == nil {
            if let notify = message.payloads.first.flatMap({ if case .notify(let n) = $0 { return n } else { return nil } }),
               case .dosCookie(let cookie) = notify.content {
                receiveDoSCookie(cookie, header: header, from: from)
            }
            return
        }
        if header.responderCookie == 0 || (header.exchangeType == .mainMode && sessionID(for: header, from: from) == nil) {
            guard header.exchangeType == .mainMode, !header.flags.contains(.encrypted) else { return }
            receiveFirstMessage(message, raw: bytes, from: from, to: to)
            return
        }
        guard let id = sessionID(for: header, from: from), var session = sessions[id] else { return }
        guard let inbound = open(message, raw: bytes, session: &session, from: from, to: to) else {
            store(session)
            return
        }
        dispatch(inbound, session: session)
    }

    /// A Fragment payload: held on its negotiation's budget, or, for a first message, on the
    /// strangers' pool; the whole message once its fragments are in.
    mutating func receiveFragment(_ fragment: FragmentPayload, header: ISAKMPHeader, from: EndpointAddress, to: EndpointAddress) {
        let pool: Reassembly.Pool
        if let id = sessionID(for: header, from: from) {
            pool = .session(id)
        } else {
            // Fragments of strangers are taken only for a first message: without a cookie, or
            // with a DoS cookie that proves the address.
            let proven = header.responderCookie != 0
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

    /// The session a message belongs to, by its cookies.
    func sessionID(for header: ISAKMPHeader, from: EndpointAddress) -> UInt64? {
        let pair = CookiePair(initiator: header.initiatorCookie, responder: header.responderCookie)
        if let id = answeredByCookies[pair] { return id }
        if let id = initiatedByCookie[header.initiatorCookie], let session = sessions[id],
           session.cookies.responder == 0 || session.cookies.responder == header.responderCookie {
            return id
        }
        return nil
    }

    /// Decrypts (or takes as is) a message of a session; reports and drops what does not verify.
    mutating func open(_ message: Message, raw: [UInt8], session: inout MainModeSession, from: EndpointAddress, to: EndpointAddress) -> Inbound? {
        let header = message.header
        if header.flags.contains(.encrypted) {
            // The responder derives its keys when the first encrypted message comes, and only
            // for a peer every check has authorized: before that, nothing decrypts.
            if session.protection == nil, case .authenticating(let auth) = session.phase, session.role == .responder,
               auth.gss.context?.isComplete == true, let authorization = auth.gss.authorization {
                establishKeys(&session, auth, authorization)
            }
            guard let protection = session.protection else {
                emitInvalidPacket(header.exchangeType, session: session)
                return nil
            }
            do {
                let opened = try protection.open(raw)
                return Inbound(header: header, sequence: opened.sequenceNumber, payloads: opened.payloads,
                               chain: opened.plaintextChain, from: from, to: to)
            } catch {
                emitInvalidPacket(header.exchangeType, session: session)
                return nil
            }
        }
        // Once keys exist the peer encrypts everything: a clear message is not from it (and
        // is dropped without an event, so that forgeries cannot fill the log).
        if session.protection != nil { return nil }
        guard let crypto = message.crypto else { return nil }
        let chainStart = ISAKMPHeader.size + crypto.headerLength
        return Inbound(header: header, sequence: crypto.sequenceNumber, payloads: message.clearPayloads,
                       chain: Array(raw[min(chainStart, raw.count)...]), from: from, to: to)
    }

    /// Routes a message: a response to what this side asked, or a request from the peer.
    mutating func dispatch(_ inbound: Inbound, session: consuming MainModeSession) {
        let key = inbound.key
        if let request = session.channel.complete(key) {
            session.channel.answered(key)
            follow(inbound, &session)
            handleResponse(inbound, to: request, session: session)
            return
        }
        if session.channel.wasAnswered(key) {
            store(session)
            return
        }
        switch session.channel.classify(key, now: now) {
        case .duplicate(let datagrams):
            for datagram in datagrams { send(datagram, session: session) }
            store(session)
        case .inProgress:
            store(session)
        case .replay:
            emitInvalidPacket(inbound.header.exchangeType, session: session)
            store(session)
        case .new:
            session.channel.accept(key)
            follow(inbound, &session)
            handleRequest(inbound, session: session)
        }
    }

    /// Behind a NAT the peer's port changes (500 → 4500, or a new mapping): from an
    /// authenticated message that is new or answers ours, this side answers where it came from.
    mutating func follow(_ inbound: Inbound, _ session: inout MainModeSession) {
        guard session.natDetected, inbound.header.flags.contains(.encrypted), inbound.from.ip == session.remote.ip,
              inbound.from != session.remote || inbound.to != session.local else { return }
        if session.role == .responder {
            answeredByFirstContact[FirstContact(initiatorCookie: session.cookies.initiator, peer: session.remote)] = nil
            answeredByFirstContact[FirstContact(initiatorCookie: session.cookies.initiator, peer: inbound.from)] = session.id
        }
        session.remote = inbound.from
        session.local = inbound.to
    }

    mutating func handleResponse(_ inbound: Inbound, to request: OutstandingRequest, session: MainModeSession) {
        switch request.purpose {
        case .mainMode:
            switch session.phase {
            case .offered(let offer): receiveMainModeSecond(inbound, offer: offer, session: session)
            case .authenticating: receiveAuthenticationResponse(inbound, session: session, stage: .mainMode)
            case .established(let mm) where !mm.proofChecked: receiveFirstQuickModeResponse(inbound, mm: mm, session: session)
            default: store(session)
            }
        case .quickMode(let messageID):
            receiveQuickModeResponse(inbound, messageID: messageID, session: session)
        case .notify:
            guard inbound.notifies.contains(where: { $0.messageType == .acknowledgement }) else {
                // Not an acknowledgement: the request stands and is sent again.
                var session = session
                session.channel.track(inbound.key, request)
                store(session)
                return
            }
            receiveNotifyAcknowledgement(session: session)
        case .extendedMode:
            receiveExtendedModeResponse(inbound, session: session)
        }
    }

    mutating func handleRequest(_ inbound: Inbound, session: MainModeSession) {
        switch inbound.header.exchangeType {
        case .mainMode where session.role == .responder:
            switch session.phase {
            case .authenticating where !inbound.header.flags.contains(.encrypted):
                receiveAuthenticationRequest(inbound, session: session, stage: .mainMode)
            case .established(let mm) where !mm.proofChecked && inbound.header.flags.contains(.encrypted):
                receiveFirstQuickModeRequest(inbound, mm: mm, session: session)
            default:
                emitInvalidPacket(inbound.header.exchangeType, session: session)
                store(session)
            }
        case .quickMode:
            receiveQuickModeRequest(inbound, session: session)
        case .notify:
            receiveNotifyRequest(inbound, session: session)
        case .extendedMode where session.role == .responder:
            receiveExtendedModeRequest(inbound, session: session)
        default:
            emitInvalidPacket(inbound.header.exchangeType, session: session)
            store(session)
        }
    }

    /// A packet that does not parse: reported when it names a negotiation, else dropped.
    mutating func reportInvalidPacket(_ bytes: [UInt8], from: EndpointAddress, to: EndpointAddress) {
        guard bytes.count >= ISAKMPHeader.size else { return }
        let cookie = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let responder = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let header = ISAKMPHeader(initiatorCookie: cookie, responderCookie: responder, exchangeType: ExchangeType(rawValue: bytes[18]))
        guard let id = sessionID(for: header, from: from), let session = sessions[id] else { return }
        emitInvalidPacket(header.exchangeType, session: session)
    }

    mutating func emitInvalidPacket(_ exchange: ExchangeType, session: MainModeSession) {
        let packet = InvalidNegotiationPacket(localAddress: AuditAddress(session.local.ip), remoteAddress: AuditAddress(session.remote.ip),
                                              keyingModule: .authIP)
        switch exchange {
        case .quickMode: emit(.invalidQuickModePacket(packet))
        case .extendedMode: emit(.invalidExtendedModePacket(packet))
        default: emit(.invalidMainModePacket(packet))
        }
    }
}

extension AuditAddress {
    init(_ address: IPAddress) {
        // 4 or 16 bytes: the initializer cannot fail.
        self = (try? AuditAddress(bytes: address.bytes)) ?? AuditAddress(ipv4: 0)
    }
}
