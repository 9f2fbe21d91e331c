import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// The initiator's Main Mode: #1, the DoS cookie, #2; and the keys both roles derive once
/// their GSS contexts are complete and the peer is authorized.
extension MainModeMachine {
    /// A new Main Mode under rule `ruleIndex` for `traffic`, its #1 sent; nil when the rule
    /// has no method this side can start or no DH key could be made. With the responder's SPN
    /// (`knownPeerName`, from an SA with that peer), #1 carries the first method's first token.
    static func initiating(
        ruleIndex: Int, local: EndpointAddress, remote: EndpointAddress, traffic: TrafficRequest,
        knownPeerName: String?, _ shared: inout EndpointContext
    ) -> MainModeMachine? {
        let rule = shared.rules[ruleIndex]
        let authentication = rule.mainModeAuthentication
        let methods = authentication.offered.filter { method in
            authentication.entries(for: method).contains { $0.canRun(as: .initiator) }
        }
        guard !methods.isEmpty, let firstProposal = rule.mainModeCrypto.proposals.first else { return nil }
        let group = authentication.needsDiffieHellman ? firstProposal.group : nil
        let keyPair = group.flatMap { try? DiffieHellmanKeyPair(group: $0, random: &shared.random) }
        if group != nil && keyPair == nil { return nil }
        let cookies = CookiePair(initiator: shared.randomCookie(initiator: true), responder: 0)
        let nonce = shared.random.bytes(InteropProfile.nonceLength)
        var payloads: [Payload] = [
            .securityAssociation(MainModeProposals.payload(for: rule.mainModeCrypto, group: group)),
            .auth(AuthPayload(methods: methods)),
            .nonce(NoncePayload(data: nonce)),
        ]
        payloads += localVendors(ipv4: remote.isIPv4).map { .vendorID(VendorIDPayload($0)) }
        if remote.isIPv4 {
            let hash: HashAlgorithm =
                shared.settings.interop.natDiscoveryWithSHA1 ? .sha1 : InteropProfile.natDiscoveryHash
            payloads += natDiscovery(cookies: cookies, local: local, remote: remote, hash: hash).map {
                .natDiscovery(NATDiscoveryPayload(data: $0))
            }
        }
        let firstToken = knownPeerName.flatMap { firstMessageToken(rule, methods[0], peerName: $0, &shared) }
        if let firstToken {
            payloads.append(.gss(GSSPayload(token: firstToken.token, flags: .newExchange)))
        }
        if let keyPair { payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue))) }
        if shared.settings.interop.unknownPayloadInFirstMessage {
            payloads.append(.unknown(UnknownPayload(type: PayloadType(rawValue: 0xC0), data: [0x57, 0x38])))
        }
        var session = MainModeMachine(
            id: shared.takeSAID(), role: .initiator, cookies: cookies, local: local, remote: remote,
            ruleIndex: ruleIndex,
            phase: .offered(
                MainModeOffer(
                    nonce: nonce, keyPair: keyPair, payloads: payloads, methods: methods,
                    firstToken: firstToken.map { FirstMessageToken(context: $0.context, peerPrincipalName: $0.name) })))
        session.pendingTraffic = [traffic]
        session.acquiredTraffic = [traffic]
        session.tlsSecretCandidates = shared.calibrations.tlsSecrets(for: remote.ip, shared.settings.interop)
        session.transcriptCandidates = shared.calibrations.transcripts(for: remote.ip, shared.settings.interop)
        let sent = session.sendRequest(
            exchange: .mainMode, messageID: 0, payloads: payloads, purpose: .mainMode,
            maximumRetransmissions: shared.settings.maximumFirstMessageRetransmissions, &shared)
        if case .offered(var offer) = session.phase {
            offer.sent = sent
            session.phase = .offered(offer)
        }
        return session
    }

    /// The first token of `method` for the responder `peerName`, when the profile sends one in
    /// #1 and the method's first credentials can make it (any failure leaves it for #3).
    private static func firstMessageToken(
        _ rule: ConnectionSecurityRule, _ method: AuthMethod, peerName: String, _ shared: inout EndpointContext
    ) -> (context: any GSSContext, token: [UInt8], name: String)? {
        guard shared.settings.interop.firstTokenInFirstMessage,
            let entry = rule.mainModeAuthentication.entries(for: method).first(where: { $0.canRun(as: .initiator) })
        else { return nil }
        let target = rule.responderIdentity?.servicePrincipalName ?? SSPIName.kerberosPrincipal(peerName)
        do throws(GSSFailure) {
            var context = try entry.initiatorContext(target: target)
            let token = try context.step([], now: shared.now, random: &shared.random).token
            return token.isEmpty ? nil : (context, token, peerName)
        } catch {
            return nil
        }
    }

    /// The vendor IDs this side sends in #1/#2.
    static func localVendors(ipv4: Bool) -> [KnownVendor] {
        [.microsoftWindows(version: InteropProfile.advertisedWindowsVersion), .gssapi, .fragmentation]
            + (ipv4 ? [.rfc3947] : [])
    }

    /// NAT-D hashes: the peer's address first, then this side's (RFC 3947 §3.2).
    static func natDiscovery(
        cookies: CookiePair, local: EndpointAddress, remote: EndpointAddress, hash: HashAlgorithm
    ) -> [[UInt8]] {
        [remote, local].map { natHash(cookies: cookies, $0, hash: hash) }
    }

    static func natHash(cookies: CookiePair, _ address: EndpointAddress, hash: HashAlgorithm) -> [UInt8] {
        hash.digest(
            cookies.initiator.bigEndianBytes + cookies.responder.bigEndianBytes + address.ip.bytes
                + [UInt8(address.port >> 8), UInt8(address.port & 0xFF)])
    }

    /// The hash of the peer's NAT-D payloads, by their length: SHA-256 (E1) or SHA-1 (RFC
    /// 3947's, which a Windows build may use); nil without NAT-D.
    static func natDiscoveryHash(of inbound: Inbound) -> HashAlgorithm? {
        switch inbound.natDiscovery.first?.data.count {
        case HashAlgorithm.sha256.digestLength: return .sha256
        case HashAlgorithm.sha1.digestLength: return .sha1
        default: return nil
        }
    }

    /// Whether NAT-D shows a NAT: the peer's hashes of the addresses differ from ours, hashed
    /// as the peer hashes.
    func detectNAT(_ inbound: Inbound) -> Bool {
        let hashes = inbound.natDiscovery.map(\.data)
        guard hashes.count >= 2, let hash = Self.natDiscoveryHash(of: inbound) else { return false }
        let cookies = CookiePair(
            initiator: inbound.header.initiatorCookie,
            responder: role == .initiator ? inbound.header.responderCookie : 0)
        return hashes[0] != Self.natHash(cookies: cookies, inbound.to, hash: hash)
            || hashes[1] != Self.natHash(cookies: cookies, inbound.from, hash: hash)
    }

    /// The DoS-cookie reply to #1: send #1 again with that responder cookie (once).
    mutating func receiveDoSCookie(_ cookie: UInt64, _ shared: inout EndpointContext) {
        guard cookie != 0, cookies.responder == 0, case .offered(var offer) = phase, !offer.cookieTaken else { return }
        offer.cookieTaken = true
        cookies.responder = cookie
        channel = Channel()
        offer.sent = sendRequest(
            exchange: .mainMode, messageID: 0, payloads: offer.payloads, purpose: .mainMode,
            maximumRetransmissions: shared.settings.maximumFirstMessageRetransmissions, &shared)
        phase = .offered(offer)
        cookies.responder = 0
    }

    /// MM #2: the responder's choice; then the first GSS round.
    mutating func receiveSecond(_ inbound: Inbound, offer: MainModeOffer, _ shared: inout EndpointContext) {
        if let code = inbound.statusCode {
            failMainMode(.remote(WindowsError.lookup(code)), notifyPeer: false, &shared)
            return
        }
        let rule = shared.rules[ruleIndex]
        let offered = MainModeProposals.offers(
            in: MainModeProposals.payload(for: rule.mainModeCrypto, group: offer.keyPair?.group))
        guard let answer = inbound.securityAssociation, let chosen = MainModeProposals.offers(in: answer).first,
            let mine = offered.first(where: {
                $0.cipher == chosen.cipher && $0.hash == chosen.hash && $0.group == chosen.group
            })
        else {
            failMainMode(.local(.errorIpsecIkeProcessErrSa), notifyPeer: true, &shared)
            return
        }
        let methods = inbound.auth?.methods.filter { offer.methods.contains($0) } ?? []
        let nonces = inbound.nonces
        guard !methods.isEmpty, methods.count == inbound.auth?.methods.count else {
            failMainMode(.local(.errorIpsecIkeInvalidAuthPayload), notifyPeer: true, &shared)
            return
        }
        guard nonces.count == 2, !nonces[0].data.isEmpty, !nonces[1].data.isEmpty else {
            failMainMode(.local(.errorIpsecIkeProcessErrNonce), notifyPeer: true, &shared)
            return
        }
        var sharedSecret = SecretBytes.empty
        if let keyPair = offer.keyPair {
            guard let ke = inbound.keyExchange, let secret = try? keyPair.sharedSecret(peerPublicValue: ke.data) else {
                failMainMode(.local(.errorIpsecIkeProcessErrKe), notifyPeer: true, &shared)
                return
            }
            sharedSecret = secret
        }
        cookies.responder = inbound.header.responderCookie
        let vendors = inbound.vendors
        peerSupportsFragmentation = vendors.contains(.fragmentation)
        natDetected = detectNAT(inbound)
        if natDetected {
            // RFC 3947: the exchange moves to the NAT-T port.
            local.port = shared.settings.natTraversalPort
            remote.port = shared.settings.natTraversalPort
        }
        let agreement = MainModeAgreement(
            algorithms: MainModeAlgorithms(cipher: chosen.cipher, hash: chosen.hash), group: chosen.group,
            lifetimeSeconds: min(
                chosen.lifetimeSeconds ?? mine.lifetimeSeconds ?? rule.mainModeCrypto.lifetimeSeconds,
                rule.mainModeCrypto.lifetimeSeconds),
            quickModeLimit: rule.mainModeCrypto.quickModeLimit,
            initiatorNonce: offer.nonce, responderNonce: nonces[0].data, responderQuickModeNonce: nonces[1].data,
            sharedSecret: sharedSecret, methods: methods,
            peerPrincipalName: inbound.gssIdentity?.principalName ?? offer.firstToken?.peerPrincipalName,
            legacyICV: vendors.contains { $0.forcesTwelveByteICV })
        var transcript = AuthenticationTranscript.mainMode(hash: chosen.hash)
        transcript.append(offer.sent)
        var gss = GSSNegotiation(
            methods: methods, transcript: transcript, peerPrincipalName: agreement.peerPrincipalName)
        guard inbound.gss != nil else {
            // No answer to a token in #1 (if there was one): the rounds start in #3.
            gss.transcript.append(inbound.transcriptMessage)
            phase = .authenticating(MainModeAuthentication(agreement: agreement, gss: gss))
            initiateMethod(.mainMode, retrying: false, peerStatus: 0, &shared)
            return
        }
        // #2 answers the token of #1: only for the method that token was for.
        guard let firstToken = offer.firstToken, firstToken.context.method == methods[0] else {
            failMainMode(.local(.errorIpsecIkeInvalidPayload), notifyPeer: true, &shared)
            return
        }
        gss.context = firstToken.context
        gss.started = true
        gss.attempts = 1
        phase = .authenticating(MainModeAuthentication(agreement: agreement, gss: gss))
        receiveAuthenticationResponse(inbound, stage: .mainMode, &shared)
    }

    /// Derives the MM keys once both GSS contexts are complete and the peer is authorized.
    mutating func establishKeys(
        _ auth: MainModeAuthentication, _ authorization: Authorization, _ shared: inout EndpointContext
    ) {
        phase = .keyed(
            keyed(
                auth, authorization, tlsSecret: tlsSecretCandidates.first ?? .exporter,
                transcript: transcriptCandidates.first ?? .standard, shared))
    }

    /// The keys and proofs of a Main Mode whose context is complete and whose peer every check
    /// authorized, with TLS from the GSS-APIsecret in `form`.
    func keyed(
        _ auth: MainModeAuthentication, _ authorization: Authorization, tlsSecret form: TLSSecretForm,
        transcript transcriptForm: TranscriptForm, _ shared: EndpointContext
    ) -> KeyedMainMode {
        let agreement = auth.agreement
        let gss = auth.gss
        let derivation = KeyDerivation(
            algorithms: agreement.algorithms, initiatorCookie: cookies.initiator, responderCookie: cookies.responder)
        let context = gss.context
        let keys = MainModeKeys(
            derivation: derivation, z: agreement.sharedSecret, initiatorNonce: agreement.initiatorNonce,
            responderNonce: agreement.responderNonce, gssSecret: context?.sessionKey(form) ?? .empty)
        let method = gss.method ?? .anonymous
        let entry = shared.rules[ruleIndex].mainModeAuthentication.entries(for: method).first
        var localCertificate: Certificate?
        if case .certificate(let configuration)? = entry {
            localCertificate = configuration.identities.first?.certificate
        }
        return KeyedMainMode(
            agreement: agreement, derivation: derivation, keys: keys,
            protection: CryptoPayloadProtection(
                algorithms: agreement.algorithms, keys: keys, legacyICV: agreement.legacyICV),
            auth1: gss.transcript.initiatorProof(skeyid: keys.skeyid, form: transcriptForm),
            auth2: gss.transcript.responderProof(skeyid: keys.skeyid, form: transcriptForm),
            method: method,
            localIdentity: entry?.localIdentity(
                role: role == .initiator ? .initiator : .acceptor, principalName: shared.configuration.principalName
            ),
            // Only a name the method authenticated: never the SPN GSS_ID announced.
            remoteIdentity: context?.peerName, localCertificate: localCertificate,
            peerChain: method == .tls ? context?.peerCertificates ?? [] : [], tlsSecret: method == .tls ? form : nil,
            transcriptForm: transcriptForm, transcript: gss.transcript,
            authorization: authorization,
            expires: shared.now.addingTimeInterval(TimeInterval(agreement.lifetimeSeconds)))
    }

    /// The peer's proof verified: its keys' TLS secret form and its proofs' form are remembered
    /// for the peer, and reported when that is news; the transcript is no longer needed.
    func settleProofs(_ shared: inout EndpointContext) {
        guard case .keyed(let mm) = phase else { return }
        mm.transcript = nil
        if let news = shared.calibrations.remember(
            tlsSecret: mm.tlsSecret, transcript: mm.transcriptForm, for: remote.ip)
        {
            shared.outputs.append(.calibrated(news))
        }
    }

    /// The responder's check of Auth1 in #5: in the form the keys were made with, else in the
    /// other candidate forms (when this side calibrates); the form it verifies in then gives
    /// Auth2 too.
    func acceptsAuth1(_ auth1: [UInt8], _ shared: EndpointContext) -> Bool {
        guard case .keyed(let mm) = phase else { return false }
        if constantTimeEqual(auth1, mm.auth1) { return true }
        guard shared.settings.interop.calibratesTranscript, let transcript = mm.transcript else { return false }
        for form in shared.calibrations.transcripts(for: remote.ip, shared.settings.interop)
        where form != mm.transcriptForm {
            guard constantTimeEqual(auth1, transcript.initiatorProof(skeyid: mm.keys.skeyid, form: form)) else {
                continue
            }
            mm.transcriptForm = form
            mm.auth1 = auth1
            mm.auth2 = transcript.responderProof(skeyid: mm.keys.skeyid, form: form)
            return true
        }
        return false
    }
}
