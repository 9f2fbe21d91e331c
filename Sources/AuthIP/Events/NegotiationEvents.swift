import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// The audit events of negotiations, filled in from the engine's state.
extension Endpoint {
    func peers(_ session: MainModeSession, local localName: String?, remote remoteName: String?) -> (NegotiationPeer, NegotiationPeer) {
        (NegotiationPeer(principalName: localName, address: AuditAddress(session.local.ip), keyingModulePort: session.local.port),
         NegotiationPeer(principalName: remoteName, address: AuditAddress(session.remote.ip), keyingModulePort: session.remote.port))
    }

    /// The MM SA as the established events describe it.
    func mainModeSA(_ session: MainModeSession, _ mm: EstablishedMainMode) -> MainModeSA {
        let (local, remote) = peers(session, local: mm.localIdentity, remote: mm.remoteIdentity)
        let suite = MainModeSuite(cipher: CipherAlgorithm(mm.agreement.algorithms.cipher), integrity: IntegrityAlgorithm(mm.agreement.algorithms.hash),
                                  diffieHellmanGroup: AuthIPAudit.DiffieHellmanGroup(mm.agreement.group),
                                  lifetimeMinutes: mm.agreement.lifetimeSeconds / 60, quickModeLimit: mm.agreement.quickModeLimit)
        return MainModeSA(local: local, remote: remote, suite: suite, role: NegotiationRole(session.role), impersonation: .notEnabled,
                          filterID: rules[session.ruleIndex].filterID, saID: session.id)
    }

    /// 4650, or 4651 when certificates authenticated Main Mode.
    func mainModeEstablishedEvent(_ session: MainModeSession, _ mm: EstablishedMainMode) -> AuditEvent {
        let sa = mainModeSA(session, mm)
        let event = MainModeEstablished(sa: sa, keyingModule: .authIP, authenticationMethod: AuthIPAudit.AuthenticationMethod(mm.method, certificate: mm.localCertificate))
        guard mm.method == .tls else { return .mainModeEstablished(event) }
        return .mainModeEstablishedWithCertificates(MainModeEstablishedWithCertificates(
            negotiation: event, localCertificate: CertificateSummary(mm.localCertificate.map { [$0] } ?? []),
            remoteCertificate: CertificateSummary(mm.peerChain)))
    }

    /// 4979, or 4981 when certificates authenticated Main Mode (the DirectAccess tunnels). This
    /// library runs no certificate method in Extended Mode, so 4980/4982 do not occur.
    func extendedModeEstablishedEvent(_ session: MainModeSession, _ mm: EstablishedMainMode, extended: ExtendedModeExchange,
                                      method: AuthMethod) -> AuditEvent {
        let sa = mainModeSA(session, mm)
        let extendedSA = ExtendedModeSA(localPrincipalName: extended.localIdentity, remotePrincipalName: extended.remoteIdentity,
                                        impersonation: extended.impersonation ? .enabled : .notEnabled,
                                        quickModeFilterID: rules[extended.ruleIndex].filterID)
        let emMethod = AuthIPAudit.AuthenticationMethod(method, certificate: nil)
        guard mm.method == .tls else {
            return .extendedModeEstablished(ExtendedModeEstablished(
                mainMode: sa, mainModeAuthenticationMethod: AuthIPAudit.AuthenticationMethod(mm.method, certificate: nil),
                extendedMode: extendedSA, extendedModeAuthenticationMethod: emMethod))
        }
        return .extendedModeEstablishedWithMainModeCertificates(ExtendedModeEstablishedWithMainModeCertificates(
            mainMode: sa, localMainModeCertificate: CertificateSummary(mm.localCertificate.map { [$0] } ?? []),
            remoteMainModeCertificate: CertificateSummary(mm.peerChain), extendedMode: extendedSA, extendedModeAuthenticationMethod: emMethod))
    }

    /// 4984 (4983 when the Extended Mode method was certificate-based, which this library never
    /// runs): the EM identities, failure point and reason, how far it got.
    mutating func emitExtendedModeFailure(_ session: MainModeSession, mm: EstablishedMainMode, extended: ExtendedModeExchange, error: NegotiationError) {
        let gss = extended.gss
        let localName = extended.localIdentity ?? gss?.reportedMethod.flatMap { method in
            authenticationSet(session, .extendedMode).entries(for: method).first?
                .localIdentity(role: session.role == .initiator ? .initiator : .acceptor, principalName: configuration.principalName)
        }
        // A name a context learned, never the SPN EM #8 announced (nothing authenticated it).
        let remoteName = extended.remoteIdentity ?? gss?.context?.peerName ?? gss?.lastPeerName
        let (local, remote) = peers(session, local: localName, remote: remoteName)
        let state: ExtendedModeState
        if extended.finalRequestSent {
            state = .sentThirdPayload
        } else if gss?.started == true {
            state = .sentSecondPayload
        } else {
            state = gss == nil ? .noState : .sentFirstPayload
        }
        emit(.extendedModeFailed(ExtendedModeFailed(
            local: local, remote: remote, failure: NegotiationFailure(point: error.point, reason: FailureReason(error.code)),
            authenticationMethod: gss?.reportedMethod.map { AuthIPAudit.AuthenticationMethod($0, certificate: nil) } ?? .unknown,
            state: state, role: NegotiationRole(session.role),
            impersonation: (extended.impersonation || gss?.peerFlags.contains(.impersonationActive) == true) ? .enabled : .notEnabled,
            quickModeFilterID: rules[extended.ruleIndex].filterID)))
    }

    /// 4653, or 4652 when certificates were being used.
    mutating func emitMainModeFailure(_ session: MainModeSession, _ error: NegotiationError, method: AuthMethod?,
                                      certificates: (local: Certificate?, peer: [Certificate])?) {
        let established = session.established
        let (local, remote) = peers(session, local: established?.localIdentity, remote: established?.remoteIdentity)
        let state: MainModeState
        switch (session.phase, session.role) {
        case (.offered, _): state = session.role == .initiator ? .sentFirstPayload : .noState
        case (.authenticating, .initiator), (.established, .initiator): state = .sentThirdPayload
        case (.authenticating, .responder), (.established, .responder): state = .sentSecondPayload
        case (.closing, _): state = .noState
        }
        let failed = MainModeFailed(
            local: local, remote: remote, keyingModule: .authIP,
            failure: NegotiationFailure(point: error.point, reason: FailureReason(error.code)),
            authenticationMethod: method.map { AuthIPAudit.AuthenticationMethod($0, certificate: certificates?.local) } ?? .unknown,
            state: state, role: NegotiationRole(session.role), impersonation: .notEnabled,
            filterID: rules[session.ruleIndex].filterID, initiatorCookie: session.cookies.initiator, responderCookie: session.cookies.responder)
        if let certificates {
            emit(.mainModeFailedWithCertificates(MainModeFailedWithCertificates(
                negotiation: failed, localCertificate: CertificateSummary(certificates.local.map { [$0] } ?? []),
                remoteCertificate: CertificateSummary(certificates.peer))))
        } else {
            emit(.mainModeFailed(failed))
        }
    }

    func trafficEndpoint(_ selector: TrafficSelector?, tunnelEndpoint: IPAddress?) -> TrafficEndpoint {
        guard let selector else { return TrafficEndpoint(address: nil) }
        let range = selector.addresses
        var mask: AuditAddress?
        if range.first != range.last, let length = range.prefixLength {
            mask = AuditAddress(AddressRange(range.first.isV4 ? .v4(IPv4Address(UInt32.max)) : .v6(IPv6Address(high: .max, low: .max)),
                                             prefixLength: length).first)
        }
        return TrafficEndpoint(address: AuditAddress(range.first), mask: mask, port: selector.port,
                               tunnelEndpoint: tunnelEndpoint.map(AuditAddress.init))
    }

    func tunnelEndpoints(_ encapsulation: IPsecEncapsulation) -> (IPAddress?, IPAddress?) {
        if case .tunnel(let local, let remote) = encapsulation { return (local, remote) }
        return (nil, nil)
    }

    /// 5451.
    func quickModeEstablishedEvent(_ record: QuickModeSARecord, rule: ConnectionSecurityRule, session: MainModeSession) -> AuditEvent {
        let (localTunnel, remoteTunnel) = tunnelEndpoints(record.encapsulation)
        return .quickModeEstablished(QuickModeEstablished(
            local: trafficEndpoint(record.localSelector, tunnelEndpoint: localTunnel),
            remote: trafficEndpoint(record.remoteSelector, tunnelEndpoint: remoteTunnel),
            remotePrivateAddress: nil, ipProtocol: record.localSelector.ipProtocol, keyingModule: .authIP,
            ahIntegrity: .none, espIntegrity: IntegrityAlgorithm(record.integrity), cipher: CipherAlgorithm(record.cipher),
            lifetimeSeconds: record.lifetimeSeconds, lifetimeKilobytes: record.lifetimeKilobytes, lifetimePackets: 0,
            mode: record.encapsulation.isTunnel ? .tunnel : .transport, role: NegotiationRole(record.role),
            filterID: rule.filterID, mainModeSAID: record.mainModeID, quickModeSAID: record.id,
            inboundSPI: record.inboundSPI, outboundSPI: record.outboundSPI))
    }

    /// 5452.
    func quickModeEndedEvent(_ record: QuickModeSARecord) -> AuditEvent {
        let (localTunnel, remoteTunnel) = tunnelEndpoints(record.encapsulation)
        return .quickModeEnded(QuickModeEnded(local: trafficEndpoint(record.localSelector, tunnelEndpoint: localTunnel),
                                              remote: trafficEndpoint(record.remoteSelector, tunnelEndpoint: remoteTunnel),
                                              ipProtocol: record.localSelector.ipProtocol, quickModeSAID: record.id))
    }

    /// 4654.
    mutating func emitQuickModeFailure(_ session: MainModeSession, local: TrafficSelector?, remote: TrafficSelector?, ruleIndex: Int,
                                       messageID: UInt32, role: SARole, state: QuickModeState, error: NegotiationError) {
        let rule = rules[ruleIndex]
        let (localTunnel, remoteTunnel) = tunnelEndpoints(rule.encapsulation(local: session.local.ip, remote: session.remote.ip))
        emit(.quickModeFailed(QuickModeFailed(
            local: trafficEndpoint(local, tunnelEndpoint: localTunnel), remote: trafficEndpoint(remote, tunnelEndpoint: remoteTunnel),
            ipProtocol: local?.ipProtocol ?? 0, remotePrivateAddress: nil, keyingModule: .authIP,
            failure: NegotiationFailure(point: error.point, reason: FailureReason(error.code)),
            mode: rule.encapsulation(local: session.local.ip, remote: session.remote.ip).isTunnel ? .tunnel : .transport,
            state: state, role: NegotiationRole(role), messageID: messageID, filterID: rule.filterID, mainModeSAID: session.id)))
    }
}

extension CipherAlgorithm {
    init(_ cipher: BlockCipher) {
        switch cipher {
        case .des: self = .des
        case .tripleDES: self = .tripleDES
        case .aes128: self = .aes128
        case .aes192: self = .aes192
        case .aes256: self = .aes256
        }
    }

    /// ESP ciphers; GCM has no msobjs.dll string of its own and is reported by key size.
    init(_ cipher: ESPCipher) {
        switch cipher {
        case .none: self = .none
        case .tripleDES: self = .tripleDES
        case .aes128, .aesGCM128: self = .aes128
        case .aes192, .aesGCM192: self = .aes192
        case .aes256, .aesGCM256: self = .aes256
        }
    }
}

extension IntegrityAlgorithm {
    init(_ hash: HashAlgorithm) {
        switch hash {
        case .md5: self = .md5
        case .sha1: self = .sha1
        case .sha256: self = .sha256
        case .sha384: self = .sha384
        }
    }

    init(_ integrity: ESPIntegrity) {
        switch integrity {
        case .none: self = .none
        case .md5: self = .md5
        case .sha1: self = .sha1
        case .sha256: self = .sha256
        case .sha384: self = .sha384
        }
    }
}

extension AuthIPAudit.DiffieHellmanGroup {
    init(_ group: AuthIPCrypto.DiffieHellmanGroup?) {
        switch group {
        case nil: self = .none
        case .modp1024?: self = .group2
        case .modp2048?: self = .group14
        case .ecp256?: self = .ecp256
        case .ecp384?: self = .ecp384
        }
    }
}

extension NegotiationRole {
    init(_ role: SARole) { self = role == .initiator ? .initiator : .responder }
}

extension AuthIPAudit.AuthenticationMethod {
    /// The event's method: SSL for TLS (by key type for ECDSA certificates), Kerberos, NTLMv2,
    /// Anonymous.
    init(_ method: AuthMethod, certificate: Certificate?) {
        switch method {
        case .kerberos: self = .kerberos
        case .ntlm: self = .ntlmV2
        case .anonymous: self = .anonymous
        case .tls: self = .ssl
        default: self = .unknown
        }
    }
}

extension CertificateSummary {
    /// The leaf's SHA-1 thumbprint, its issuer and the chain's root; nil without a leaf.
    init?(_ chain: [Certificate]) {
        guard let leaf = chain.first else { return nil }
        try? self.init(thumbprint: HashAlgorithm.sha1.digest(leaf.der), issuingCA: leaf.issuer, rootCA: chain.last?.issuer ?? leaf.issuer)
    }
}
