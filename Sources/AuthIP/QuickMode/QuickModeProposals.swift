import AuthIPCrypto
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire

/// Quick Mode SA payloads: ESP proposals with this side's SPI, and the responder's choice.
enum QuickModeProposals {
    struct Offer: Hashable {
        var proposal: QuickModeProposal
        var encapsulationMode: UInt16
        var pfsGroup: DiffieHellmanGroup?
        var lifetimeSeconds: UInt32?
        var lifetimeKilobytes: UInt32?
        var spi: UInt32
        /// The proposal and transform as offered: the answer keeps their numbers.
        var proposalNumber: UInt8
        var transform: Transform
    }

    static func payload(
        for set: QuickModeCryptoSet, spi: UInt32, encapsulationMode: UInt16
    ) -> SecurityAssociationPayload {
        let transforms = set.proposals.enumerated().map { index, proposal in
            transform(number: UInt8(index + 1), proposal, set: set, encapsulationMode: encapsulationMode)
        }
        return SecurityAssociationPayload(proposals: [
            Proposal(number: 1, protocolID: .esp, spi: spi.bigEndianBytes, transforms: transforms)
        ])
    }

    /// The responder's answer: the chosen proposal and transform as offered, their numbers
    /// kept, under the responder's SPI.
    static func answer(_ offer: Offer, spi: UInt32) -> SecurityAssociationPayload {
        SecurityAssociationPayload(proposals: [
            Proposal(
                number: offer.proposalNumber, protocolID: .esp, spi: spi.bigEndianBytes, transforms: [offer.transform])
        ])
    }

    static func transform(
        number: UInt8, _ proposal: QuickModeProposal, set: QuickModeCryptoSet, encapsulationMode: UInt16
    ) -> Transform {
        var attributes: [TransformAttribute] = [.basic(QuickModeAttribute.encapsulationMode, encapsulationMode)]
        if let value = proposal.integrity.attributeValue {
            attributes.append(.basic(QuickModeAttribute.authenticationAlgorithm, value))
        }
        if let bits = proposal.cipher.keyLengthBits { attributes.append(.basic(QuickModeAttribute.keyLength, bits)) }
        if let group = set.pfsGroup { attributes.append(.basic(QuickModeAttribute.groupDescription, group.rawValue)) }
        attributes += [
            .basic(QuickModeAttribute.lifeType, 1),
            MainModeProposals.lifetimeAttribute(QuickModeAttribute.lifeDuration, set.lifetimeSeconds),
            .basic(QuickModeAttribute.lifeType, 2),
            MainModeProposals.lifetimeAttribute(QuickModeAttribute.lifeDuration, set.lifetimeKilobytes),
        ]
        return Transform(number: number, transformID: proposal.cipher.transformID, attributes: attributes)
    }

    /// The ESP offers of an SA payload that this library understands, in order.
    static func offers(in payload: SecurityAssociationPayload) -> [Offer] {
        payload.proposals.filter { $0.protocolID == .esp && $0.spi.count == 4 }.flatMap { proposal in
            proposal.transforms.compactMap { transform -> Offer? in
                guard
                    let cipher = ESPCipher(
                        transformID: transform.transformID,
                        keyLengthBits: transform.basicValue(of: QuickModeAttribute.keyLength)),
                    let integrity = ESPIntegrity(
                        attributeValue: transform.basicValue(of: QuickModeAttribute.authenticationAlgorithm)),
                    cipher.isAEAD == (integrity == .none) || cipher == .none,
                    let mode = transform.basicValue(of: QuickModeAttribute.encapsulationMode)
                else { return nil }
                let groupID = transform.basicValue(of: QuickModeAttribute.groupDescription)
                let group = groupID.flatMap(DiffieHellmanGroup.init(rawValue:))
                guard groupID == nil || group != nil else { return nil }
                var seconds: UInt32?, kilobytes: UInt32?
                var lifeType: UInt16?
                for attribute in transform.attributes {
                    if attribute.type == QuickModeAttribute.lifeType, case .basic(let t) = attribute.value {
                        lifeType = t
                    }
                    if attribute.type == QuickModeAttribute.lifeDuration {
                        if lifeType == 1 { seconds = MainModeProposals.lifetimeValue(attribute) }
                        if lifeType == 2 { kilobytes = MainModeProposals.lifetimeValue(attribute) }
                    }
                }
                return Offer(
                    proposal: QuickModeProposal(cipher: cipher, integrity: integrity), encapsulationMode: mode,
                    pfsGroup: group, lifetimeSeconds: seconds, lifetimeKilobytes: kilobytes,
                    spi: proposal.spi.reduce(0) { $0 << 8 | UInt32($1) }, proposalNumber: proposal.number,
                    transform: transform)
            }
        }
    }

    /// The responder's first proposal that was offered with the expected mode and PFS group.
    static func choose(from offers: [Offer], set: QuickModeCryptoSet, encapsulationMode: UInt16) -> Offer? {
        for proposal in set.proposals {
            if let match = offers.first(where: {
                $0.proposal == proposal && $0.encapsulationMode == encapsulationMode && $0.pfsGroup == set.pfsGroup
            }) {
                return match
            }
        }
        return nil
    }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] {
        [UInt8(self >> 24), UInt8(self >> 16 & 0xFF), UInt8(self >> 8 & 0xFF), UInt8(self & 0xFF)]
    }
}
