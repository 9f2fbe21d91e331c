import AuthIPCrypto
import AuthIPErrors
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// One Quick Mode negotiation on an MM SA, keyed by its message ID: the initiator's offer, its
/// synchronize, or the responder's answer waiting for synchronize.
struct QuickModeMachine {
    let messageID: UInt32
    let role: SARole
    /// 243 for the first Quick Mode of a Main Mode, 244 afterwards.
    let exchangeType: ExchangeType
    var ruleIndex: Int
    var localSelector: TrafficSelector
    var remoteSelector: TrafficSelector
    var state: State
    /// Responder: when it stops waiting for QM synchronize.
    var deadline: Date?

    enum State {
        /// Initiator: #5 (or #1 on 244) sent.
        case offered(QuickModeOffer)
        /// Initiator: #6 checked, inbound SA installed (unless Extended Mode follows), QM
        /// synchronize sent.
        case synchronizing(QuickModeAgreement)
        /// Responder: #6 sent, waiting for QM synchronize.
        case answered(QuickModeAgreement)
    }

    /// The SPI this exchange holds reserved.
    var reservedSPI: UInt32 {
        switch state {
        case .offered(let offer): return offer.spi
        case .synchronizing(let agreement), .answered(let agreement): return agreement.inboundSPI
        }
    }
}

/// The initiator's proposal, kept until the answer.
struct QuickModeOffer {
    var spi: UInt32
    var nonce: [UInt8]
    var keyPair: DiffieHellmanKeyPair?
    var set: QuickModeCryptoSet
    var encapsulationMode: UInt16
}

/// What a Quick Mode settled.
struct QuickModeAgreement {
    var proposal: QuickModeProposal
    var pfsGroup: DiffieHellmanGroup?
    var lifetimeSeconds: UInt32
    var lifetimeKilobytes: UInt32
    var inboundSPI: UInt32
    var outboundSPI: UInt32
    var initiatorNonce: [UInt8]
    var responderNonce: [UInt8]
    var pfsSecret: SecretBytes
    /// The QMSAID it will have.
    var saID: UInt64

    /// The agreement on `offer` under the rule's crypto set: its proposal and PFS group, the
    /// shorter of the offered and the configured lifetimes.
    init(
        _ offer: QuickModeProposals.Offer, set: QuickModeCryptoSet, inboundSPI: UInt32, outboundSPI: UInt32,
        initiatorNonce: [UInt8], responderNonce: [UInt8], pfsSecret: SecretBytes, saID: UInt64
    ) {
        proposal = offer.proposal
        pfsGroup = offer.pfsGroup
        lifetimeSeconds = min(offer.lifetimeSeconds ?? set.lifetimeSeconds, set.lifetimeSeconds)
        lifetimeKilobytes = min(offer.lifetimeKilobytes ?? set.lifetimeKilobytes, set.lifetimeKilobytes)
        self.inboundSPI = inboundSPI
        self.outboundSPI = outboundSPI
        self.initiatorNonce = initiatorNonce
        self.responderNonce = responderNonce
        self.pfsSecret = pfsSecret
        self.saID = saID
    }
}

/// What a Quick Mode reads of the Main Mode SA it runs on: the keys and proofs that protect
/// and derive it, the SA's addresses, NAT traversal, and the Extended Mode's binding.
struct QuickModeParent {
    var mainMode: KeyedMainMode
    var role: SARole
    var local: EndpointAddress
    var remote: EndpointAddress
    var natDetected: Bool
    var extendedModeBinding: QuickModeKeys.ExtendedModeBinding?

    /// The ESP encapsulation a rule asks for, UDP-encapsulated behind a NAT.
    func encapsulationMode(_ rule: ConnectionSecurityRule) -> UInt16 {
        switch (rule.mode, natDetected) {
        case (.transport, false): return EncapsulationMode.transport
        case (.transport, true): return EncapsulationMode.udpTransport
        case (.tunnel, false): return EncapsulationMode.tunnel
        case (.tunnel, true): return EncapsulationMode.udpTunnel
        }
    }
}

/// Why a Quick Mode ended before its SA: the error, and whether the peer is told.
struct QuickModeRejection: Error {
    var error: NegotiationError
    var notifyPeer: Bool
}

extension QuickModeMachine {
    /// The initiator's offer under rule `ruleIndex` (#5 inside exchange 243, or #1 of 244):
    /// the machine and the payloads after nothing; nil when no PFS key could be made.
    static func offer(
        local: TrafficSelector, remote: TrafficSelector, messageID: UInt32, exchangeType: ExchangeType, ruleIndex: Int,
        parent: QuickModeParent, _ shared: inout EndpointContext
    ) -> (QuickModeMachine, [Payload])? {
        let rule = shared.rules[ruleIndex]
        let set = rule.quickModeCrypto
        let keyPair = set.pfsGroup.flatMap { try? DiffieHellmanKeyPair(group: $0, random: &shared.random) }
        if set.pfsGroup != nil && keyPair == nil { return nil }
        let spi = shared.allocateSPI()
        let nonce = shared.random.bytes(InteropProfile.nonceLength)
        let mode = parent.encapsulationMode(rule)
        var payloads: [Payload] = [
            .hash(HashPayload(data: parent.mainMode.proof(of: parent.role))), .identification(local.payload),
            .identification(remote.payload),
            .securityAssociation(QuickModeProposals.payload(for: set, spi: spi, encapsulationMode: mode)),
            .nonce(NoncePayload(data: nonce)),
        ]
        if let keyPair { payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue))) }
        let offer = QuickModeOffer(spi: spi, nonce: nonce, keyPair: keyPair, set: set, encapsulationMode: mode)
        let exchange = QuickModeMachine(
            messageID: messageID, role: .initiator, exchangeType: exchangeType, ruleIndex: ruleIndex,
            localSelector: local, remoteSelector: remote, state: .offered(offer))
        return (exchange, payloads)
    }

    /// The responder's answer to the peer's offer under rule `ruleIndex`: the machine waiting
    /// for synchronize and the payloads after Auth2 (the IDs, the chosen SA, Nr on 244, KE);
    /// or the error the refusal reports.
    static func answering(
        _ inbound: Inbound, offer sa: SecurityAssociationPayload, nonce: [UInt8],
        ids: (peer: IdentificationPayload, local: IdentificationPayload),
        selectors: (local: TrafficSelector, peer: TrafficSelector), exchangeType: ExchangeType, ruleIndex: Int,
        parent: QuickModeParent, _ shared: inout EndpointContext
    ) -> Result<(QuickModeMachine, [Payload]), WindowsError> {
        let rule = shared.rules[ruleIndex]
        let mode = parent.encapsulationMode(rule)
        guard
            let chosen = QuickModeProposals.choose(
                from: QuickModeProposals.offers(in: sa), set: rule.quickModeCrypto, encapsulationMode: mode)
        else {
            return .failure(.errorIpsecIkeAttribFail)
        }
        var pfsSecret = SecretBytes.empty
        var keyPair: DiffieHellmanKeyPair?
        if let group = chosen.pfsGroup {
            guard let ke = inbound.keyExchange,
                let pair = try? DiffieHellmanKeyPair(group: group, random: &shared.random),
                let secret = try? pair.sharedSecret(peerPublicValue: ke.data)
            else {
                return .failure(.errorIpsecIkeProcessErrKe)
            }
            keyPair = pair
            pfsSecret = secret
        }
        let first = exchangeType == .mainMode
        let spi = shared.allocateSPI()
        let responderNonce =
            first ? parent.mainMode.agreement.responderQuickModeNonce : shared.random.bytes(InteropProfile.nonceLength)
        var payloads: [Payload] = [
            .identification(ids.peer), .identification(ids.local),
            .securityAssociation(QuickModeProposals.answer(chosen, spi: spi)),
        ]
        if !first { payloads.append(.nonce(NoncePayload(data: responderNonce))) }
        if let keyPair { payloads.append(.keyExchange(KeyExchangePayload(data: keyPair.publicValue))) }
        let agreement = QuickModeAgreement(
            chosen, set: rule.quickModeCrypto, inboundSPI: spi, outboundSPI: chosen.spi,
            initiatorNonce: nonce, responderNonce: responderNonce, pfsSecret: pfsSecret,
            saID: shared.takeSAID())
        let exchange = QuickModeMachine(
            messageID: inbound.header.messageID, role: .responder, exchangeType: exchangeType, ruleIndex: ruleIndex,
            localSelector: selectors.local, remoteSelector: selectors.peer, state: .answered(agreement),
            deadline: shared.now.addingTimeInterval(shared.settings.responderTimeout.seconds))
        return .success((exchange, payloads))
    }

    /// The initiator takes the responder's answer: it must choose one of the offered
    /// proposals, within the offered selectors (which it may narrow), with its nonce and KE.
    /// The machine then synchronizes with the agreement.
    mutating func accept(
        _ inbound: Inbound, parent: QuickModeParent, _ shared: inout EndpointContext
    ) -> Result<QuickModeAgreement, QuickModeRejection> {
        guard case .offered(let offer) = state else {
            return .failure(QuickModeRejection(error: .local(.errorIpsecIkeError), notifyPeer: false))
        }
        guard !inbound.dictatesKeys else {
            return .failure(QuickModeRejection(error: .local(.errorIpsecIkeInvalidPayload), notifyPeer: true))
        }
        let offers = QuickModeProposals.offers(
            in: QuickModeProposals.payload(for: offer.set, spi: offer.spi, encapsulationMode: offer.encapsulationMode))
        let responderNonce =
            exchangeType == .mainMode ? parent.mainMode.agreement.responderQuickModeNonce : inbound.nonces.first?.data
        let ids = inbound.identifications
        guard let answer = inbound.securityAssociation.map(QuickModeProposals.offers(in:))?.first,
            offers.contains(where: {
                $0.proposal == answer.proposal && $0.encapsulationMode == answer.encapsulationMode
                    && $0.pfsGroup == answer.pfsGroup
            }),
            ids.count == 2, let local = TrafficSelector(ids[0]), localSelector.contains(local),
            let remote = TrafficSelector(ids[1]), remoteSelector.contains(remote),
            let responderNonce, !responderNonce.isEmpty
        else {
            return .failure(QuickModeRejection(error: .local(.errorIpsecIkeProcessErrSa), notifyPeer: true))
        }
        var pfsSecret = SecretBytes.empty
        if let keyPair = offer.keyPair {
            guard let ke = inbound.keyExchange, let secret = try? keyPair.sharedSecret(peerPublicValue: ke.data) else {
                return .failure(QuickModeRejection(error: .local(.errorIpsecIkeProcessErrKe), notifyPeer: true))
            }
            pfsSecret = secret
        }
        let agreement = QuickModeAgreement(
            answer, set: shared.rules[ruleIndex].quickModeCrypto, inboundSPI: offer.spi,
            outboundSPI: answer.spi, initiatorNonce: offer.nonce, responderNonce: responderNonce,
            pfsSecret: pfsSecret, saID: shared.takeSAID())
        localSelector = local
        remoteSelector = remote
        state = .synchronizing(agreement)
        return .success(agreement)
    }

    /// The QM SA's record for the database.
    func record(
        _ agreement: QuickModeAgreement, mainModeID: UInt64, parent: QuickModeParent, _ shared: EndpointContext
    ) -> QuickModeSARecord {
        QuickModeSARecord(
            id: agreement.saID, mainModeID: mainModeID, role: role, inboundSPI: agreement.inboundSPI,
            outboundSPI: agreement.outboundSPI,
            localSelector: localSelector, remoteSelector: remoteSelector,
            encapsulation: shared.rules[ruleIndex].encapsulation(local: parent.local.ip, remote: parent.remote.ip),
            udpEncapsulated: parent.natDetected, cipher: agreement.proposal.cipher,
            integrity: agreement.proposal.integrity,
            pfsGroup: agreement.pfsGroup, lifetimeSeconds: agreement.lifetimeSeconds,
            lifetimeKilobytes: agreement.lifetimeKilobytes,
            created: shared.now, expires: shared.now.addingTimeInterval(TimeInterval(agreement.lifetimeSeconds)))
    }

    /// One direction of the SA with its keys (KEYMAT per SPI of the receiving side).
    func ipsecSA(
        _ agreement: QuickModeAgreement, direction: IPsecSA.Direction, parent: QuickModeParent,
        _ shared: EndpointContext
    ) -> IPsecSA {
        let mm = parent.mainMode
        let spi = direction == .inbound ? agreement.inboundSPI : agreement.outboundSPI
        let keys = QuickModeKeys(
            derivation: mm.derivation, skeyidD: mm.keys.skeyidD, messageID: messageID, spi: spi,
            initiatorNonce: agreement.initiatorNonce, responderNonce: agreement.responderNonce,
            pfsSecret: agreement.pfsSecret, extendedMode: parent.extendedModeBinding,
            integrityKeyLength: agreement.proposal.integrity.keyLength,
            encryptionKeyLength: agreement.proposal.cipher.keyLength, order: shared.rules[ruleIndex].quickModeKeyOrder)
        let inbound = direction == .inbound
        let (local, remote) = (parent.local, parent.remote)
        return IPsecSA(
            direction: direction, spi: spi, quickModeSAID: agreement.saID,
            source: inbound ? remoteSelector : localSelector, destination: inbound ? localSelector : remoteSelector,
            encapsulation: shared.rules[ruleIndex].encapsulation(local: local.ip, remote: remote.ip),
            outerSource: inbound ? remote : local, outerDestination: inbound ? local : remote,
            udpEncapsulated: parent.natDetected, cipher: agreement.proposal.cipher,
            integrity: agreement.proposal.integrity,
            encryptionKey: keys.encryptionKey, integrityKey: keys.integrityKey,
            lifetimeSeconds: agreement.lifetimeSeconds, lifetimeKilobytes: agreement.lifetimeKilobytes)
    }
}
