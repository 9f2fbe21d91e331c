import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// The audit events of negotiations, filled in from the machines' state.
enum NegotiationEvents {
    static func peers(
        local: EndpointAddress, localName: String?, remote: EndpointAddress,
        remoteName: String?
    ) -> (NegotiationPeer, NegotiationPeer) {
        (
            NegotiationPeer(principalName: localName, address: AuditAddress(local.ip), keyingModulePort: local.port),
            NegotiationPeer(principalName: remoteName, address: AuditAddress(remote.ip), keyingModulePort: remote.port)
        )
    }

    /// The MM SA as the established events describe it.
    static func mainModeSA(_ session: MainModeMachine, _ mm: KeyedMainMode, _ shared: EndpointContext) -> MainModeSA {
        let (local, remote) = peers(
            local: session.local, localName: mm.localIdentity, remote: session.remote, remoteName: mm.remoteIdentity)
        let suite = MainModeSuite(
            cipher: CipherAlgorithm(mm.agreement.algorithms.cipher),
            integrity: IntegrityAlgorithm(mm.agreement.algorithms.hash),
            diffieHellmanGroup: DiffieHellmanGroupParameter(mm.agreement.group),
            lifetimeMinutes: mm.agreement.lifetimeSeconds / 60, quickModeLimit: mm.agreement.quickModeLimit)
        return MainModeSA(
            local: local, remote: remote, suite: suite, role: NegotiationRole(session.role), impersonation: .notEnabled,
            filterID: shared.rules[session.ruleIndex].filterID, saID: session.id)
    }

    /// 4650, or 4651 when certificates authenticated Main Mode.
    static func mainModeEstablished(
        _ session: MainModeMachine, _ mm: KeyedMainMode, _ shared: EndpointContext
    ) -> AuditEvent {
        let sa = mainModeSA(session, mm, shared)
        let event = MainModeEstablished(
            sa: sa, keyingModule: .authIP,
            authenticationMethod: AuthIPAudit.AuthenticationMethod(mm.method, certificate: mm.localCertificate))
        guard mm.method == .tls else { return .mainModeEstablished(event) }
        return .mainModeEstablishedWithCertificates(
            MainModeEstablishedWithCertificates(
                negotiation: event, localCertificate: CertificateSummary(mm.localCertificate.map { [$0] } ?? []),
                remoteCertificate: mm.peerCertificate))
    }

    /// 4979, or 4981 when certificates authenticated Main Mode (the DirectAccess tunnels). This
    /// library runs no certificate method in Extended Mode, so 4980/4982 do not occur.
    static func extendedModeEstablished(
        _ session: MainModeMachine, _ mm: KeyedMainMode, _ outcome: ExtendedModeOutcome,
        _ shared: EndpointContext
    ) -> AuditEvent {
        let sa = mainModeSA(session, mm, shared)
        let extendedSA = ExtendedModeSA(
            localPrincipalName: outcome.proof.localIdentity, remotePrincipalName: outcome.proof.remoteIdentity,
            impersonation: outcome.proof.impersonation ? .enabled : .notEnabled,
            quickModeFilterID: shared.rules[outcome.ruleIndex].filterID)
        let emMethod = AuthIPAudit.AuthenticationMethod(outcome.method, certificate: nil)
        guard mm.method == .tls else {
            return .extendedModeEstablished(
                ExtendedModeEstablished(
                    mainMode: sa,
                    mainModeAuthenticationMethod: AuthIPAudit.AuthenticationMethod(mm.method, certificate: nil),
                    extendedMode: extendedSA, extendedModeAuthenticationMethod: emMethod))
        }
        return .extendedModeEstablishedWithMainModeCertificates(
            ExtendedModeEstablishedWithMainModeCertificates(
                mainMode: sa, localMainModeCertificate: CertificateSummary(mm.localCertificate.map { [$0] } ?? []),
                remoteMainModeCertificate: mm.peerCertificate, extendedMode: extendedSA,
                extendedModeAuthenticationMethod: emMethod))
    }

    /// 4655.
    static func mainModeEnded(_ record: MainModeSARecord) -> AuditEvent {
        .mainModeEnded(
            MainModeEnded(
                localAddress: AuditAddress(record.local.ip), remoteAddress: AuditAddress(record.remote.ip),
                keyingModule: .authIP, saID: record.id))
    }

    static func trafficEndpoint(_ selector: TrafficSelector?, tunnelEndpoint: IPAddress?) -> TrafficEndpoint {
        guard let selector else { return TrafficEndpoint(address: nil) }
        let range = selector.addresses
        var mask: AuditAddress?
        if range.first != range.last, let length = range.prefixLength {
            mask = AuditAddress(
                AddressRange(
                    range.first.isV4 ? .v4(IPv4Address(UInt32.max)) : .v6(IPv6Address(high: .max, low: .max)),
                    prefixLength: length
                ).first)
        }
        return TrafficEndpoint(
            address: AuditAddress(range.first), mask: mask, port: selector.port,
            tunnelEndpoint: tunnelEndpoint.map(AuditAddress.init))
    }

    static func tunnelEndpoints(_ encapsulation: IPsecEncapsulation) -> (IPAddress?, IPAddress?) {
        if case .tunnel(let local, let remote) = encapsulation { return (local, remote) }
        return (nil, nil)
    }

    /// 5451.
    static func quickModeEstablished(_ record: QuickModeSARecord, rule: ConnectionSecurityRule) -> AuditEvent {
        let (localTunnel, remoteTunnel) = tunnelEndpoints(record.encapsulation)
        return .quickModeEstablished(
            QuickModeEstablished(
                local: trafficEndpoint(record.localSelector, tunnelEndpoint: localTunnel),
                remote: trafficEndpoint(record.remoteSelector, tunnelEndpoint: remoteTunnel),
                remotePrivateAddress: nil, ipProtocol: record.localSelector.ipProtocol, keyingModule: .authIP,
                ahIntegrity: .none, espIntegrity: IntegrityAlgorithm(record.integrity),
                cipher: CipherAlgorithm(record.cipher),
                lifetimeSeconds: record.lifetimeSeconds, lifetimeKilobytes: record.lifetimeKilobytes,
                lifetimePackets: 0,
                mode: record.encapsulation.isTunnel ? .tunnel : .transport, role: NegotiationRole(record.role),
                filterID: rule.filterID, mainModeSAID: record.mainModeID, quickModeSAID: record.id,
                inboundSPI: record.inboundSPI, outboundSPI: record.outboundSPI))
    }

    /// 5452.
    static func quickModeEnded(_ record: QuickModeSARecord) -> AuditEvent {
        let (localTunnel, remoteTunnel) = tunnelEndpoints(record.encapsulation)
        return .quickModeEnded(
            QuickModeEnded(
                local: trafficEndpoint(record.localSelector, tunnelEndpoint: localTunnel),
                remote: trafficEndpoint(record.remoteSelector, tunnelEndpoint: remoteTunnel),
                ipProtocol: record.localSelector.ipProtocol, quickModeSAID: record.id))
    }

    /// The invalid-packet event of an exchange (4976 Main Mode, 4977 Quick Mode, 4978 Extended
    /// Mode) between two addresses.
    static func invalidPacket(_ exchange: ExchangeType, local: EndpointAddress, remote: EndpointAddress) -> AuditEvent {
        let packet = InvalidNegotiationPacket(
            localAddress: AuditAddress(local.ip), remoteAddress: AuditAddress(remote.ip), keyingModule: .authIP)
        switch exchange {
        case .quickMode: return .invalidQuickModePacket(packet)
        case .extendedMode: return .invalidExtendedModePacket(packet)
        default: return .invalidMainModePacket(packet)
        }
    }
}

/// The failure events a session reports.
extension MainModeMachine {
    /// A packet of this negotiation that did not verify or did not belong.
    func emitInvalidPacket(_ exchange: ExchangeType, _ shared: inout EndpointContext) {
        shared.emit(NegotiationEvents.invalidPacket(exchange, local: local, remote: remote))
    }

    /// 4653, or 4652 when certificates were being used.
    func emitMainModeFailure(
        _ error: NegotiationError, method: AuthMethod?, certificates: (local: Certificate?, peer: CertificateSummary?)?,
        _ shared: inout EndpointContext
    ) {
        let (localPeer, remotePeer) = NegotiationEvents.peers(
            local: local, localName: keyed?.localIdentity, remote: remote,
            remoteName: keyed?.remoteIdentity)
        let state: MainModeState
        switch phase {
        case .offered: state = role == .initiator ? .sentFirstPayload : .noState
        case .authenticating, .keyed, .extendedMode, .established:
            state = role == .initiator ? .sentThirdPayload : .sentSecondPayload
        case .closing: state = .noState
        }
        let failed = MainModeFailed(
            local: localPeer, remote: remotePeer, keyingModule: .authIP,
            failure: NegotiationFailure(point: error.point, reason: FailureReason(error.code)),
            authenticationMethod: method.map { AuthIPAudit.AuthenticationMethod($0, certificate: certificates?.local) }
                ?? .unknown,
            state: state, role: NegotiationRole(role), impersonation: .notEnabled,
            filterID: shared.rules[ruleIndex].filterID, initiatorCookie: cookies.initiator,
            responderCookie: cookies.responder)
        if let certificates {
            shared.emit(
                .mainModeFailedWithCertificates(
                    MainModeFailedWithCertificates(
                        negotiation: failed,
                        localCertificate: CertificateSummary(certificates.local.map { [$0] } ?? []),
                        remoteCertificate: certificates.peer)))
        } else {
            shared.emit(.mainModeFailed(failed))
        }
    }

    /// 4984 (4983 when the Extended Mode method was certificate-based, which this library never
    /// runs): the EM identities, failure point and reason, how far it got.
    func emitExtendedModeFailure(
        _ em: ExtendedModeMachine, _ error: NegotiationError, proof: ExtendedModeProof?,
        _ shared: inout EndpointContext
    ) {
        let gss = em.negotiation
        var proof = proof
        if case .finalSent(_, _, let sent) = em.state { proof = proof ?? sent }
        let localName =
            proof?.localIdentity
            ?? gss?.reportedMethod.flatMap { method in
                authenticationSet(.extendedMode, shared).entries(for: method).first?
                    .localIdentity(
                        role: role == .initiator ? .initiator : .acceptor,
                        principalName: shared.configuration.principalName)
            }
        // A name a context learned, never the SPN EM #8 announced (nothing authenticated it).
        let remoteName = proof?.remoteIdentity ?? gss?.context?.peerName ?? gss?.lastPeerName
        let (localPeer, remotePeer) = NegotiationEvents.peers(
            local: local, localName: localName, remote: remote, remoteName: remoteName)
        let state: ExtendedModeState
        switch em.state {
        case .finalSent: state = .sentThirdPayload
        case .authenticating(_, let gss): state = gss.started ? .sentSecondPayload : .sentFirstPayload
        case .awaitingQuickMode, .awaitingMethods: state = .noState
        }
        let policyImpersonates = role == .initiator && shared.rules[em.ruleIndex].extendedMode?.impersonate == true
        let impersonation =
            (proof?.impersonation ?? policyImpersonates) || gss?.peerFlags.contains(.impersonationActive) == true
        shared.emit(
            .extendedModeFailed(
                ExtendedModeFailed(
                    local: localPeer, remote: remotePeer,
                    failure: NegotiationFailure(point: error.point, reason: FailureReason(error.code)),
                    authenticationMethod: gss?.reportedMethod.map {
                        AuthIPAudit.AuthenticationMethod($0, certificate: nil)
                    } ?? .unknown,
                    state: state, role: NegotiationRole(role), impersonation: impersonation ? .enabled : .notEnabled,
                    quickModeFilterID: shared.rules[em.ruleIndex].filterID)))
    }

    /// 4654.
    func emitQuickModeFailure(
        local localSelector: TrafficSelector?, remote remoteSelector: TrafficSelector?, ruleIndex: Int,
        messageID: UInt32, role: SARole, state: QuickModeState, error: NegotiationError, _ shared: inout EndpointContext
    ) {
        let rule = shared.rules[ruleIndex]
        let encapsulation = rule.encapsulation(local: local.ip, remote: remote.ip)
        let (localTunnel, remoteTunnel) = NegotiationEvents.tunnelEndpoints(encapsulation)
        shared.emit(
            .quickModeFailed(
                QuickModeFailed(
                    local: NegotiationEvents.trafficEndpoint(localSelector, tunnelEndpoint: localTunnel),
                    remote: NegotiationEvents.trafficEndpoint(remoteSelector, tunnelEndpoint: remoteTunnel),
                    ipProtocol: localSelector?.ipProtocol ?? 0, remotePrivateAddress: nil, keyingModule: .authIP,
                    failure: NegotiationFailure(point: error.point, reason: FailureReason(error.code)),
                    mode: encapsulation.isTunnel ? .tunnel : .transport,
                    state: state, role: NegotiationRole(role), messageID: messageID, filterID: rule.filterID,
                    mainModeSAID: id)))
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

extension DiffieHellmanGroupParameter {
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
        try? self.init(
            thumbprint: HashAlgorithm.sha1.digest(leaf.der), issuingCA: leaf.issuer,
            rootCA: chain.last?.issuer ?? leaf.issuer)
    }
}
