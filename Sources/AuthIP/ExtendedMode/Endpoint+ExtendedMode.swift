import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// Extended Mode (MS-AIPS 3.6/3.7): after the first Quick Mode and its synchronize, a second
/// authentication on exchange 245 (#7 Auth list, #8 Auth + GSS_ID, GSS rounds, Auth3/Auth4)
/// whose SKEYID_em binds the Quick Mode keys. Its failure takes the MM and QM state with it.
extension Endpoint {
    /// Whether the first Quick Mode of this rule waits for Extended Mode.
    func needsExtendedMode(_ session: MainModeSession, ruleIndex: Int) -> Bool {
        rules[ruleIndex].extendedMode != nil && session.established?.confirmed == false
    }

    /// Initiator, after QM synchronize: EM #7 with this side's methods.
    mutating func startExtendedMode(_ session: inout MainModeSession, exchange: QuickModeExchange, agreement: QuickModeAgreement) {
        guard var mm = session.established, let policy = rules[exchange.ruleIndex].extendedMode else { return }
        let methods = policy.authentication.offered.filter { method in
            policy.authentication.entries(for: method).contains { $0.canRun(as: .initiator) }
        }
        var extended = ExtendedModeExchange(ruleIndex: exchange.ruleIndex, quickMode: exchange, agreement: agreement)
        extended.impersonation = policy.impersonate
        mm.extended = extended
        session.phase = .established(mm)
        guard !methods.isEmpty else {
            failExtendedMode(&session, .local(.errorIpsecIkeNoPolicy), notifyPeer: true)
            return
        }
        var gss = GSSNegotiation(methods: methods, transcript: .extendedMode(hash: mm.agreement.algorithms.hash), peerPrincipalName: nil)
        gss.transcript.append(sendRequest(&session, exchange: .extendedMode, messageID: InteropProfile.extendedModeMessageID,
                                          payloads: [.auth(AuthPayload(methods: methods))], purpose: .extendedMode))
        mm.extended?.gss = gss
        session.phase = .established(mm)
        store(session)
    }

    /// Responder, at QM synchronize: the Quick Mode waits for Extended Mode.
    mutating func holdForExtendedMode(_ session: inout MainModeSession, exchange: QuickModeExchange, agreement: QuickModeAgreement) {
        guard var mm = session.established else { return }
        mm.extended = ExtendedModeExchange(ruleIndex: exchange.ruleIndex, quickMode: exchange, agreement: agreement)
        session.phase = .established(mm)
        session.negotiationDeadline = now.addingTimeInterval(settings.responderTimeout.seconds)
    }

    /// Responder: EM #7 (methods), a GSS round, or #11 (Auth3).
    mutating func receiveExtendedModeRequest(_ inbound: Inbound, session: MainModeSession) {
        var session = session
        guard let mm = session.established, let extended = mm.extended, inbound.header.flags.contains(.encrypted) else {
            // Extended Mode where none is expected, or before Quick Mode is done: discarded.
            emitInvalidPacket(.extendedMode, session: session)
            store(session)
            return
        }
        if let code = inbound.statusCode, inbound.gss == nil, inbound.hash == nil {
            failExtendedMode(&session, .remote(WindowsError.lookup(code)), notifyPeer: false)
            return
        }
        session.negotiationDeadline = now.addingTimeInterval(settings.responderTimeout.seconds)
        if extended.gss == nil {
            answerExtendedModeMethods(inbound, session: &session)
        } else if inbound.hash != nil {
            receiveFinalExtendedModeRequest(inbound, session: &session)
        } else {
            store(session)
            receiveAuthenticationRequest(inbound, session: session, stage: .extendedMode)
        }
    }

    /// EM #8: the methods this side accepts, in the initiator's order, and its SPN.
    private mutating func answerExtendedModeMethods(_ inbound: Inbound, session: inout MainModeSession) {
        guard var mm = session.established, let policy = rules[mm.extended?.ruleIndex ?? session.ruleIndex].extendedMode,
              let offered = inbound.auth?.methods else {
            failExtendedMode(&session, .local(.errorIpsecIkeInvalidPayload), notifyPeer: true, respondingTo: inbound.key)
            return
        }
        var accepted: [AuthMethod] = []
        for method in offered where method != .anonymous && !accepted.contains(method)
            && policy.authentication.entries(for: method).contains(where: { $0.canRun(as: .acceptor) }) {
            accepted.append(method)
        }
        guard !accepted.isEmpty else {
            failExtendedMode(&session, .local(.errorIpsecIkeInvalidAuthPayload), notifyPeer: true, respondingTo: inbound.key)
            return
        }
        var gss = GSSNegotiation(methods: accepted, transcript: .extendedMode(hash: mm.agreement.algorithms.hash), peerPrincipalName: nil)
        gss.transcript.append(inbound.chain)
        gss.transcript.append(sendResponse(&session, to: inbound.key, payloads: [
            .auth(AuthPayload(methods: accepted)), .gssIdentity(GSSIdentityPayload(principalName: configuration.principalName)),
        ]))
        mm.extended?.gss = gss
        session.phase = .established(mm)
        store(session)
    }

    /// Initiator: EM #8, a GSS response, or #12 (Auth4).
    mutating func receiveExtendedModeResponse(_ inbound: Inbound, session: MainModeSession) {
        var session = session
        guard var mm = session.established, var extended = mm.extended, var gss = extended.gss else {
            store(session)
            return
        }
        if let code = inbound.statusCode, inbound.gss == nil, inbound.hash == nil {
            failExtendedMode(&session, .remote(WindowsError.lookup(code)), notifyPeer: false)
            return
        }
        session.negotiationDeadline = now.addingTimeInterval(settings.responderTimeout.seconds)
        if extended.finalRequestSent {
            guard let hash = inbound.hash, let skeyidEM = extended.skeyidEM,
                  constantTimeEqual(hash.data, gss.transcript.extendedResponderProof(skeyidEM: skeyidEM, auth2: mm.auth2)) else {
                failExtendedMode(&session, .local(.errorIpsecIkeInvalidHash), notifyPeer: true)
                return
            }
            completeExtendedMode(&session)
            return
        }
        if !gss.started {
            // EM #8: the accepted methods and the responder's SPN.
            let accepted = inbound.auth?.methods.filter { gss.methods.contains($0) } ?? []
            guard !accepted.isEmpty, accepted.count == inbound.auth?.methods.count else {
                failExtendedMode(&session, .local(.errorIpsecIkeInvalidAuthPayload), notifyPeer: true)
                return
            }
            gss.transcript.append(inbound.chain)
            gss.methods = accepted
            gss.peerPrincipalName = inbound.gssIdentity?.principalName
            extended.gss = gss
            mm.extended = extended
            session.phase = .established(mm)
            initiateMethod(&session, .extendedMode, retrying: false, peerStatus: 0)
            return
        }
        store(session)
        receiveAuthenticationResponse(inbound, session: session, stage: .extendedMode)
    }

    /// SKEYID_em from the Extended Mode GSS-APIsecret (the MM's Z and nonces).
    func extendedModeKey(_ mm: EstablishedMainMode, context: (any GSSContext)?) -> SecretBytes {
        MainModeKeys.extendedModeKey(derivation: mm.derivation, z: mm.agreement.sharedSecret, initiatorNonce: mm.agreement.initiatorNonce,
                                     responderNonce: mm.agreement.responderNonce, gssSecret: context?.sessionKey ?? .empty)
    }

    /// Initiator, GSS done: SKEYID_em, the inbound SA, then #11 with Auth3.
    mutating func finishExtendedModeAuthentication(_ session: inout MainModeSession) {
        guard var mm = session.established, var extended = mm.extended, let gss = extended.gss else { return }
        let skeyidEM = extendedModeKey(mm, context: gss.context)
        extended.skeyidEM = skeyidEM
        extended.finalRequestSent = true
        extended.localIdentity = gss.method.flatMap { method in
            authenticationSet(session, .extendedMode).entries(for: method).first?.localIdentity(role: .initiator, principalName: configuration.principalName)
        }
        // Only a name the method authenticated: never the SPN of EM #8.
        extended.remoteIdentity = gss.context?.peerName
        mm.extendedModeBinding = QuickModeKeys.ExtendedModeBinding(initiatorNonce: mm.agreement.initiatorNonce,
                                                                   responderNonce: mm.agreement.responderNonce, skeyidEM: skeyidEM)
        mm.extended = extended
        session.phase = .established(mm)
        // The inbound SA goes in before the final request (MS-AIPS 4.2).
        outputs.append(.installSA(ipsecSA(session: session, mm: mm, exchange: extended.quickMode, agreement: extended.agreement, direction: .inbound)))
        let auth3 = gss.transcript.extendedInitiatorProof(skeyidEM: skeyidEM, auth1: mm.auth1)
        sendRequest(&session, exchange: .extendedMode, messageID: InteropProfile.extendedModeMessageID,
                    payloads: [.hash(HashPayload(data: auth3))], purpose: .extendedMode)
        store(session)
    }

    /// Responder, #11: Auth3 checked, explicit credentials allowed, then both SAs and #12.
    private mutating func receiveFinalExtendedModeRequest(_ inbound: Inbound, session: inout MainModeSession) {
        // Auth3 counts only once the GSS exchange is complete and its peer authorized: a
        // proof sent while a check is pending (or after one said no) ends the Extended Mode.
        guard var mm = session.established, var extended = mm.extended, let gss = extended.gss, let context = gss.context,
              context.isComplete, gss.authorization != nil, let hash = inbound.hash else {
            failExtendedMode(&session, .local(.errorIpsecIkeInvalidPayload), notifyPeer: true, respondingTo: inbound.key)
            return
        }
        let skeyidEM = extendedModeKey(mm, context: context)
        guard constantTimeEqual(hash.data, gss.transcript.extendedInitiatorProof(skeyidEM: skeyidEM, auth1: mm.auth1)) else {
            failExtendedMode(&session, .local(.errorIpsecIkeInvalidHash), notifyPeer: true, respondingTo: inbound.key)
            return
        }
        if gss.peerFlags.contains(.explicitCredentials), rules[extended.ruleIndex].extendedMode?.allowsExplicitCredentials != true {
            failExtendedMode(&session, .local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true, respondingTo: inbound.key)
            return
        }
        extended.skeyidEM = skeyidEM
        extended.impersonation = gss.peerFlags.contains(.impersonationActive)
        extended.localIdentity = configuration.principalName
        extended.remoteIdentity = context.peerName
        mm.extendedModeBinding = QuickModeKeys.ExtendedModeBinding(initiatorNonce: mm.agreement.initiatorNonce,
                                                                   responderNonce: mm.agreement.responderNonce, skeyidEM: skeyidEM)
        mm.extended = extended
        session.phase = .established(mm)
        let auth4 = gss.transcript.extendedResponderProof(skeyidEM: skeyidEM, auth2: mm.auth2)
        // Both SAs go in before the final response.
        completeExtendedMode(&session, answering: inbound.key, auth4: auth4)
    }

    /// Both sides at the end: the MM SA (with its EM identities) and the QM SA into the
    /// database, 4979–4982 and 5451; the responder's final response in between.
    mutating func completeExtendedMode(_ session: inout MainModeSession, answering key: ExchangeKey? = nil, auth4: [UInt8] = []) {
        guard var mm = session.established, let extended = mm.extended, let gss = extended.gss else { return }
        if isBlocked([mm.authorization, gss.authorization]) {
            failExtendedMode(&session, .local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true, respondingTo: key)
            return
        }
        session.negotiationDeadline = nil
        confirmMainMode(&session, &mm, authorizedRule: extended.ruleIndex, extendedMode: (extended, gss.reportedMethod ?? .ntlm))
        mm.extended = nil
        session.phase = .established(mm)
        completeQuickMode(&session, mm: mm, exchange: extended.quickMode, agreement: extended.agreement)
        if let key { sendResponse(&session, to: key, payloads: [.hash(HashPayload(data: auth4))]) }
        startPendingQuickModes(&session)
        store(session)
    }

    /// Extended Mode failed: 4984 (4983 with certificates), and the MM and QM state go
    /// (MS-AIPS 3.6.5/3.7.5): an installed inbound SA is removed, the peer told.
    mutating func failExtendedMode(_ session: inout MainModeSession, _ error: NegotiationError, notifyPeer: Bool,
                                   respondingTo key: ExchangeKey? = nil) {
        if let mm = session.established, let extended = mm.extended {
            emitExtendedModeFailure(session, mm: mm, extended: extended, error: error)
            releaseSPIs(of: extended.quickMode)
            if extended.finalRequestSent {
                outputs.append(.removeSA(spi: extended.agreement.inboundSPI, direction: .inbound, quickModeSAID: extended.agreement.saID))
            }
        }
        session.channel.cancel { _ in true }
        if notifyPeer {
            let notice = NotifyPayload.status(code: error.code.code, reliable: key == nil)
            if let key {
                sendResponse(&session, to: key, payloads: [.notify(notice)])
            } else {
                sendNotify(&session, notice, messageID: randomMessageID())
            }
        }
        close(&session)
    }
}
