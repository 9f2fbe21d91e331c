import AuthIPAudit
import AuthIPCrypto
import AuthIPTrust
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPWire
import Foundation

extension Endpoint {
    /// Traffic needs an SA: reuse a Quick Mode SA or an MM SA that covers it, join a Main Mode
    /// in progress, or start one.
    mutating func acquire(_ traffic: TrafficRequest) {
        guard !isShuttingDown else { return }
        guard let ruleIndex = rules.firstIndex(where: {
            $0.local.matches(traffic.source, ipProtocol: traffic.ipProtocol, port: traffic.sourcePort)
                && $0.remote.matches(traffic.destination, ipProtocol: traffic.ipProtocol, port: traffic.destinationPort)
        }) else { return }
        let rule = rules[ruleIndex]
        guard let peer = rule.mainModePeer(for: traffic.destination) else { return }
        let local = EndpointAddress(rule.mainModeLocal(for: traffic.source), port: settings.port)
        let remote = EndpointAddress(peer, port: settings.port)
        let candidates = (sessionsByPeer[peer] ?? []).compactMap { sessions[$0] }
            .filter { rules[$0.ruleIndex].sharesMainMode(with: rule) && $0.local.ip == local.ip && $0.established?.peerDeleted != true }
            .filter { if case .closing = $0.phase { return false } else { return true } }
            .sorted { $0.id < $1.id }
        for session in candidates {
            if coversTraffic(session, traffic) { return }
        }
        if let session = candidates.first, refusesManageOut(session, traffic, ruleIndex: ruleIndex) { return }
        if var session = candidates.first(where: { $0.isEstablished }) {
            startQuickMode(&session, traffic: traffic, ruleIndex: ruleIndex)
            store(session)
        } else if var session = candidates.first {
            if !session.pendingTraffic.contains(traffic) { session.pendingTraffic.append(traffic) }
            store(session)
        } else if rule.startsMainMode {
            startMainMode(ruleIndex: ruleIndex, local: local, remote: remote, traffic: traffic)
        }
    }

    /// A peer's NOTIFY_ACQUIRE: traffic it has toward this side, over its own MM SA. Only
    /// traffic that is the peer's own, under a rule the SA's authorization covers, starts a
    /// Quick Mode, and only on that MM SA: never a Main Mode, never toward another peer.
    mutating func acquire(peerTraffic traffic: TrafficRequest, session: MainModeSession) {
        var session = session
        guard !isShuttingDown, let mm = session.established, mm.confirmed, !mm.peerDeleted else { return }
        let authorized = mm.authorizedRule.map { rules[$0] }
        guard let ruleIndex = rules.indices.first(where: { index in
            let rule = rules[index]
            let peersOwn = rule.mode == .transport ? traffic.destination == session.remote.ip
                : rule.allowsPeerSelector(AddressRange(traffic.destination), peer: session.remote.ip)
            return rule.matchesMainMode(local: session.local.ip, remote: session.remote.ip) && peersOwn
                && rule.local.matches(traffic.source) && rule.remote.matches(traffic.destination)
                && authorized.map(rule.sharesAuthorization(with:)) != false
        }) else { return }
        guard !coversTraffic(session, traffic), !refusesManageOut(session, traffic, ruleIndex: ruleIndex) else { return }
        startQuickMode(&session, traffic: traffic, ruleIndex: ruleIndex)
        store(session)
    }

    /// Over a peer's MM SA (manage out) Quick Modes start only from the management prefixes:
    /// another source is refused with 4654 (13825).
    mutating func refusesManageOut(_ session: MainModeSession, _ traffic: TrafficRequest, ruleIndex: Int) -> Bool {
        let rule = rules[ruleIndex]
        guard session.role == .responder, let prefixes = rule.managementPrefixes,
              !prefixes.contains(where: { $0.contains(traffic.source) }) else { return false }
        let (localSelector, remoteSelector) = selectors(for: traffic, rule: rule)
        emitQuickModeFailure(session, local: localSelector, remote: remoteSelector, ruleIndex: ruleIndex, messageID: 0,
                             role: .initiator, state: .noState, error: .local(.errorIpsecIkeNoPolicy))
        return true
    }

    /// Whether an SA or a Quick Mode in progress of the session already carries the traffic.
    func coversTraffic(_ session: MainModeSession, _ traffic: TrafficRequest) -> Bool {
        let carried = database.quickModes(mainModeID: session.id).contains {
            $0.localSelector.matches(traffic.source, ipProtocol: traffic.ipProtocol, port: traffic.sourcePort)
                && $0.remoteSelector.matches(traffic.destination, ipProtocol: traffic.ipProtocol, port: traffic.destinationPort)
        }
        return carried || session.quickModes.values.contains {
            $0.localSelector.matches(traffic.source) && $0.remoteSelector.matches(traffic.destination)
        } || session.pendingTraffic.contains(traffic)
    }

    /// MM #1.
    mutating func startMainMode(ruleIndex: Int, local: EndpointAddress, remote: EndpointAddress, traffic: TrafficRequest) {
        let rule = rules[ruleIndex]
        let authentication = rule.mainModeAuthentication
        let methods = authentication.offered.filter { method in authentication.entries(for: method).contains { $0.canRun(as: .initiator) } }
        guard !methods.isEmpty, let firstProposal = rule.mainModeCrypto.proposals.first else { return }
        let group = authentication.needsDiffieHellman ? firstProposal.group : nil
        let keyPair = group.flatMap { try? DiffieHellmanKeyPair(group: $0, random: &random) }
        if group != nil && keyPair == nil { return }
        let cookies = CookiePair(initiator: randomCookie(), responder: 0)
        let nonce = random.bytes(InteropProfile.nonceLength)
        var payloads: [Payload] = [
            .securityAssociation(MainModeProposals.payload(for: rule.mainModeCrypto, group: group)),
            .auth(AuthPayload(methods: methods)),
            .nonce(NoncePayload(data: nonce)),
        ]
        payloads += Self.localVendors(ipv4: remote.isIPv4).map { .vendorID(VendorIDPayload($0)) }
        if remote.isIPv4 {
            payloads += natDiscovery(cookies: cookies, local: local, remote: remote).map { .natDiscovery(NATDiscoveryPayload(data: $0)) }
        }
        if let keyPair { payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue))) }
        var session = MainModeSession(id: takeSAID(), role: .initiator, cookies: cookies, local: local, remote: remote, ruleIndex: ruleIndex,
                                      phase: .offered(MainModeOffer(nonce: nonce, keyPair: keyPair, payloads: payloads, methods: methods)))
        session.pendingTraffic = [traffic]
        sendRequest(&session, exchange: .mainMode, messageID: 0, payloads: payloads, purpose: .mainMode,
                    maximumRetransmissions: settings.maximumFirstMessageRetransmissions)
        register(session)
    }

    /// The vendor IDs this side sends in #1/#2.
    static func localVendors(ipv4: Bool) -> [KnownVendor] {
        [.microsoftWindows(version: 9), .gssapi, .fragmentation] + (ipv4 ? [.rfc3947] : [])
    }

    /// NAT-D hashes: the peer's address first, then this side's (RFC 3947 §3.2).
    func natDiscovery(cookies: CookiePair, local: EndpointAddress, remote: EndpointAddress) -> [[UInt8]] {
        [remote, local].map { natHash(cookies: cookies, $0) }
    }

    func natHash(cookies: CookiePair, _ address: EndpointAddress) -> [UInt8] {
        InteropProfile.natDiscoveryHash.digest(cookies.initiator.bigEndianBytes + cookies.responder.bigEndianBytes + address.ip.bytes
                                               + [UInt8(address.port >> 8), UInt8(address.port & 0xFF)])
    }

    /// The DoS-cookie reply to #1: send #1 again with that responder cookie.
    mutating func receiveDoSCookie(_ cookie: UInt64, header: ISAKMPHeader, from: EndpointAddress) {
        guard cookie != 0, let id = initiatedByCookie[header.initiatorCookie], var session = sessions[id],
              session.remote.ip == from.ip, session.cookies.responder == 0, case .offered(var offer) = session.phase,
              !offer.cookieTaken else { return }
        offer.cookieTaken = true
        session.phase = .offered(offer)
        session.cookies.responder = cookie
        session.channel = Channel()
        sendRequest(&session, exchange: .mainMode, messageID: 0, payloads: offer.payloads, purpose: .mainMode,
                    maximumRetransmissions: settings.maximumFirstMessageRetransmissions)
        session.cookies.responder = 0
        store(session)
    }

    /// MM #2: the responder's choice; then the first GSS round.
    mutating func receiveMainModeSecond(_ inbound: Inbound, offer: MainModeOffer, session: MainModeSession) {
        var session = session
        if let code = inbound.statusCode {
            failMainMode(&session, .remote(WindowsError.lookup(code)), notifyPeer: false)
            return
        }
        let rule = rules[session.ruleIndex]
        let offered = MainModeProposals.offers(in: MainModeProposals.payload(for: rule.mainModeCrypto, group: offer.keyPair?.group))
        guard let answer = inbound.securityAssociation, let chosen = MainModeProposals.offers(in: answer).first,
              let mine = offered.first(where: { $0.cipher == chosen.cipher && $0.hash == chosen.hash && $0.group == chosen.group }) else {
            failMainMode(&session, .local(.errorIpsecIkeProcessErrSa), notifyPeer: true)
            return
        }
        let methods = inbound.auth?.methods.filter { offer.methods.contains($0) } ?? []
        let nonces = inbound.nonces
        guard !methods.isEmpty, methods.count == inbound.auth?.methods.count else {
            failMainMode(&session, .local(.errorIpsecIkeInvalidAuthPayload), notifyPeer: true)
            return
        }
        guard nonces.count == 2, !nonces[0].data.isEmpty, !nonces[1].data.isEmpty else {
            failMainMode(&session, .local(.errorIpsecIkeProcessErrNonce), notifyPeer: true)
            return
        }
        var sharedSecret = SecretBytes.empty
        if let keyPair = offer.keyPair {
            guard let ke = inbound.keyExchange, let secret = try? keyPair.sharedSecret(peerPublicValue: ke.data) else {
                failMainMode(&session, .local(.errorIpsecIkeProcessErrKe), notifyPeer: true)
                return
            }
            sharedSecret = secret
        }
        session.cookies.responder = inbound.header.responderCookie
        let vendors = inbound.vendors
        session.peerSupportsFragmentation = vendors.contains(.fragmentation)
        session.natDetected = detectNAT(inbound, session: session)
        if session.natDetected {
            // RFC 3947: the exchange moves to the NAT-T port.
            session.local.port = settings.natTraversalPort
            session.remote.port = settings.natTraversalPort
        }
        let agreement = MainModeAgreement(
            algorithms: MainModeAlgorithms(cipher: chosen.cipher, hash: chosen.hash), group: chosen.group,
            lifetimeSeconds: min(chosen.lifetimeSeconds ?? mine.lifetimeSeconds ?? rule.mainModeCrypto.lifetimeSeconds, rule.mainModeCrypto.lifetimeSeconds),
            quickModeLimit: rule.mainModeCrypto.quickModeLimit,
            initiatorNonce: offer.nonce, responderNonce: nonces[0].data, responderQuickModeNonce: nonces[1].data,
            sharedSecret: sharedSecret, methods: methods, peerPrincipalName: inbound.gssIdentity?.principalName,
            legacyICV: vendors.contains { $0.forcesTwelveByteICV })
        var transcript = AuthenticationTranscript.mainMode(hash: chosen.hash)
        transcript.append(payloads: offer.payloads)
        transcript.append(inbound.chain)
        session.phase = .authenticating(MainModeAuthentication(MainModeAuthenticationState(
            agreement: agreement, gss: GSSNegotiation(methods: methods, transcript: transcript, peerPrincipalName: agreement.peerPrincipalName))))
        initiateMethod(&session, .mainMode, retrying: false, peerStatus: 0)
    }

    /// Whether NAT-D shows a NAT: the peer's hashes of the addresses differ from ours.
    func detectNAT(_ inbound: Inbound, session: MainModeSession) -> Bool {
        let hashes = inbound.natDiscovery.map(\.data)
        guard hashes.count >= 2 else { return false }
        let cookies = CookiePair(initiator: inbound.header.initiatorCookie,
                                 responder: session.role == .initiator ? inbound.header.responderCookie : 0)
        return hashes[0] != natHash(cookies: cookies, inbound.to) || hashes[1] != natHash(cookies: cookies, inbound.from)
    }

    /// Derives the MM keys once both GSS contexts are complete and the peer is authorized.
    mutating func establishKeys(_ session: inout MainModeSession, _ auth: MainModeAuthentication, _ authorization: Authorization) {
        let agreement = auth.agreement
        let gss = auth.gss
        let derivation = KeyDerivation(algorithms: agreement.algorithms, initiatorCookie: session.cookies.initiator,
                                       responderCookie: session.cookies.responder)
        let context = gss.context
        let keys = MainModeKeys(derivation: derivation, z: agreement.sharedSecret, initiatorNonce: agreement.initiatorNonce,
                                responderNonce: agreement.responderNonce, gssSecret: context?.sessionKey ?? .empty)
        let method = gss.method ?? .anonymous
        let entry = rules[session.ruleIndex].mainModeAuthentication.entries(for: method).first
        let role: GSSRole = session.role == .initiator ? .initiator : .acceptor
        var peerChain: [Certificate] = []
        if let tls = context as? TLSContext { peerChain = tls.peerChain }
        var localCertificate: Certificate?
        if case .certificate(let configuration)? = entry { localCertificate = configuration.identities.first?.certificate }
        // Only a name the method authenticated: never the SPN GSS_ID announced.
        let remoteIdentity = context?.peerName
        let mm = EstablishedMainMode(EstablishedMainModeState(
            agreement: agreement, derivation: derivation, keys: keys,
            protection: CryptoPayloadProtection(algorithms: agreement.algorithms, keys: keys, legacyICV: agreement.legacyICV),
            auth1: gss.transcript.initiatorProof(skeyid: keys.skeyid), auth2: gss.transcript.responderProof(skeyid: keys.skeyid),
            method: method, localIdentity: entry?.localIdentity(role: role, principalName: configuration.principalName),
            remoteIdentity: remoteIdentity, localCertificate: localCertificate, peerChain: peerChain, authorization: authorization,
            expires: now.addingTimeInterval(TimeInterval(agreement.lifetimeSeconds))))
        session.phase = .established(mm)
    }
}

extension WindowsError {
    /// The error for a code a peer sent; unknown codes read as a general IKE failure.
    static func lookup(_ code: UInt32) -> WindowsError {
        WindowsError(code: code) ?? WindowsError(code: code & 0xFFFF) ?? .errorIpsecIkeError
    }
}

extension UInt64 {
    var bigEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> UInt64(56 - 8 * $0)) } }
}
