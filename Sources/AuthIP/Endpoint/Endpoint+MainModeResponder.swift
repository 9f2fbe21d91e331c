import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

extension Endpoint {
    /// MM #1: limits and DoS protection, the rule, the proposal and methods; answers #2.
    mutating func receiveFirstMessage(_ message: Message, raw: [UInt8], from: EndpointAddress, to: EndpointAddress) {
        let header = message.header
        if let id = answeredByFirstContact[FirstContact(initiatorCookie: header.initiatorCookie, peer: from)], let session = sessions[id] {
            // #1 again: answer it again (or ignore it while the answer is being made).
            let key = ExchangeKey(exchange: .mainMode, messageID: 0, sequence: message.crypto?.sequenceNumber ?? 0)
            if case .duplicate(let datagrams) = session.channel.classify(key, now: now) {
                for datagram in datagrams { send(datagram, session: session) }
            }
            store(session)
            return
        }
        guard !isShuttingDown, header.messageID == 0, let crypto = message.crypto, crypto.sequenceNumber == 0 else { return }
        let peerSessions = (sessionsByPeerGroup[settings.peerGroup(of: from.ip)] ?? []).compactMap { sessions[$0] }
        if peerSessions.filter(\.isEstablished).count > settings.maximumMainModeSAsPerPeer
            || peerSessions.filter(\.isNegotiating).count > settings.maximumNegotiationsPerPeer {
            return
        }
        var responderCookie: UInt64
        if header.responderCookie != 0 {
            guard isValidDoSCookie(header.responderCookie, initiatorCookie: header.initiatorCookie, peer: from) else { return }
            responderCookie = header.responderCookie
        } else if isInDenialOfServiceMode {
            sendDoSCookie(initiatorCookie: header.initiatorCookie, from: to, to: from)
            return
        } else {
            responderCookie = randomCookie()
        }
        let inbound = Inbound(header: header, sequence: 0, payloads: message.clearPayloads,
                              chain: Array(raw[min(ISAKMPHeader.size + crypto.headerLength, raw.count)...]), from: from, to: to)
        guard let ruleIndex = rules.firstIndex(where: { $0.matchesMainMode(local: to.ip, remote: from.ip) }) else { return }
        let rule = rules[ruleIndex]
        guard let sa = inbound.securityAssociation, let offeredMethods = inbound.auth?.methods,
              let nonce = inbound.nonces.first, !nonce.data.isEmpty else { return }
        let peerGroup = inbound.keyExchange != nil ? MainModeProposals.offers(in: sa).first?.group : nil
        var accepted = offeredMethods.filter { method in
            rule.mainModeAuthentication.entries(for: method).contains { $0.canRun(as: .acceptor) }
        }
        if peerGroup == nil { accepted.removeAll { $0 == .ntlm || $0 == .anonymous } }
        var duplicatesRemoved: [AuthMethod] = []
        for method in accepted where !duplicatesRemoved.contains(method) { duplicatesRemoved.append(method) }
        accepted = duplicatesRemoved
        let cookies = CookiePair(initiator: header.initiatorCookie, responder: responderCookie)
        let refusal = MainModeSession(id: 0, role: .responder, cookies: cookies, local: to, remote: from, ruleIndex: ruleIndex,
                                      phase: .offered(MainModeOffer(nonce: [], keyPair: nil, payloads: [], methods: [])))
        guard let chosen = MainModeProposals.choose(from: MainModeProposals.offers(in: sa), set: rule.mainModeCrypto, keyExchangeGroup: peerGroup) else {
            refuseFirstMessage(refusal, .errorIpsecIkeAttribFail, method: accepted.first)
            return
        }
        guard !accepted.isEmpty else {
            refuseFirstMessage(refusal, .errorIpsecIkeInvalidAuthPayload, method: nil)
            return
        }
        var sharedSecret = SecretBytes.empty
        var keyPair: DiffieHellmanKeyPair?
        if let group = peerGroup, let ke = inbound.keyExchange {
            guard let pair = try? DiffieHellmanKeyPair(group: group, random: &random),
                  let secret = try? pair.sharedSecret(peerPublicValue: ke.data) else {
                refuseFirstMessage(refusal, .errorIpsecIkeProcessErrKe, method: accepted.first)
                return
            }
            keyPair = pair
            sharedSecret = secret
        }
        var session = MainModeSession(id: takeSAID(), role: .responder, cookies: cookies, local: to, remote: from, ruleIndex: ruleIndex,
                                      phase: .offered(MainModeOffer(nonce: [], keyPair: nil, payloads: [], methods: [])))
        let vendors = inbound.vendors
        session.peerSupportsFragmentation = vendors.contains(.fragmentation)
        session.natDetected = detectNAT(inbound, session: session)
        let responderNonce = random.bytes(InteropProfile.nonceLength), quickModeNonce = random.bytes(InteropProfile.nonceLength)
        var chosenTransform = chosen.transform
        chosenTransform.number = 1
        var payloads: [Payload] = [
            .securityAssociation(SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: .isakmp, transforms: [chosenTransform])])),
            .auth(AuthPayload(methods: accepted)),
            .nonce(NoncePayload(data: responderNonce)),
            .nonce(NoncePayload(data: quickModeNonce)),
        ]
        payloads += Self.localVendors(ipv4: from.isIPv4).map { .vendorID(VendorIDPayload($0)) }
        if from.isIPv4 {
            payloads += natDiscovery(cookies: cookies, local: to, remote: from).map { .natDiscovery(NATDiscoveryPayload(data: $0)) }
        }
        payloads.append(.gssIdentity(GSSIdentityPayload(principalName: configuration.principalName)))
        if let keyPair { payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue))) }
        let agreement = MainModeAgreement(
            algorithms: MainModeAlgorithms(cipher: chosen.cipher, hash: chosen.hash), group: peerGroup,
            lifetimeSeconds: min(chosen.lifetimeSeconds ?? rule.mainModeCrypto.lifetimeSeconds, rule.mainModeCrypto.lifetimeSeconds),
            quickModeLimit: rule.mainModeCrypto.quickModeLimit,
            initiatorNonce: nonce.data, responderNonce: responderNonce, responderQuickModeNonce: quickModeNonce,
            sharedSecret: sharedSecret, methods: accepted, peerPrincipalName: nil,
            legacyICV: vendors.contains { $0.forcesTwelveByteICV })
        var transcript = AuthenticationTranscript.mainMode(hash: chosen.hash)
        transcript.append(inbound.chain)
        let key = inbound.key
        session.channel.accept(key)
        transcript.append(sendResponse(&session, to: key, payloads: payloads))
        session.phase = .authenticating(MainModeAuthentication(MainModeAuthenticationState(
            agreement: agreement, gss: GSSNegotiation(methods: accepted, transcript: transcript, peerPrincipalName: nil))))
        session.negotiationDeadline = now.addingTimeInterval(settings.responderTimeout.seconds)
        register(session)
    }

    /// Answers a #1 this side will not negotiate with a NOTIFY_STATUS and records the failure;
    /// no state is kept.
    mutating func refuseFirstMessage(_ session: MainModeSession, _ code: WindowsError, method: AuthMethod?) {
        var session = session
        let datagram = Message(header: ISAKMPHeader(initiatorCookie: session.cookies.initiator, responderCookie: session.cookies.responder,
                                                    exchangeType: .mainMode),
                               payloads: [.crypto(CryptoPayload(sequenceNumber: 0)), .notify(.status(code: code.code, reliable: false))]).serialized()
        send(datagram, session: session)
        session.channel = Channel()
        emitMainModeFailure(session, .local(code), method: method, certificates: nil)
    }

    // MARK: - DoS cookies

    /// The stateless cookie of MS-IKEE 3.9: an HMAC of the initiator cookie and address under
    /// a secret, for the current time slice (`slice` 0) or the one before (1).
    func dosCookie(initiatorCookie: UInt64, peer: EndpointAddress, slice: Int) -> UInt64 {
        let period = settings.denialOfServiceCookieSlice.seconds
        let index = UInt64(max(0, Int64(now.timeIntervalSince1970 / period) - Int64(slice)))
        let mac = HashAlgorithm.sha256.hmac(key: denialOfServiceSecret, initiatorCookie.bigEndianBytes, peer.ip.bytes,
                                            [UInt8(peer.port >> 8), UInt8(peer.port & 0xFF)], index.bigEndianBytes)
        return mac.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } | 1
    }

    /// Answers a #1 (or its first fragment) with the cookie, keeping no state.
    mutating func sendDoSCookie(initiatorCookie: UInt64, from local: EndpointAddress, to peer: EndpointAddress) {
        let reply = Message(header: ISAKMPHeader(initiatorCookie: initiatorCookie, exchangeType: .mainMode),
                            payloads: [.notify(.dosCookie(dosCookie(initiatorCookie: initiatorCookie, peer: peer, slice: 0)))])
        outputs.append(.send(reply.serialized(), from: local, to: peer))
    }

    func isValidDoSCookie(_ cookie: UInt64, initiatorCookie: UInt64, peer: EndpointAddress) -> Bool {
        (0...1).contains { dosCookie(initiatorCookie: initiatorCookie, peer: peer, slice: $0) == cookie }
    }
}
