import AuthIPCrypto
import AuthIPGSS
import AuthIPTrust
import AuthIPWire

/// Main Mode SA payloads: the initiator's offer and the responder's choice (MS-AIPS 3.3.5.1:
/// of the offered proposals, the responder accepts the first on its own list).
enum MainModeProposals {
    /// What one offered transform says.
    struct Offer: Hashable {
        var cipher: BlockCipher
        var hash: HashAlgorithm
        /// nil for group 0: no Diffie-Hellman.
        var group: DiffieHellmanGroup?
        var lifetimeSeconds: UInt32?
        var transform: Transform
    }

    /// The SA payload for a crypto set; the group goes in only when DH is used.
    static func payload(for set: MainModeCryptoSet, group: DiffieHellmanGroup?) -> SecurityAssociationPayload {
        let proposals = group.map { g in set.proposals.filter { $0.group == g } } ?? set.proposals
        let transforms = proposals.enumerated().map { index, proposal in
            transform(number: UInt8(index + 1), proposal, group: group, lifetimeSeconds: set.lifetimeSeconds)
        }
        return SecurityAssociationPayload(proposals: [Proposal(number: 1, protocolID: .isakmp, transforms: transforms)])
    }

    static func transform(
        number: UInt8, _ proposal: MainModeProposal, group: DiffieHellmanGroup?, lifetimeSeconds: UInt32
    ) -> Transform {
        var attributes: [TransformAttribute] = [.basic(MainModeAttribute.encryptionAlgorithm, proposal.cipher.cryptoID)]
        if let bits = proposal.cipher.keyLengthBits { attributes.append(.basic(MainModeAttribute.keyLength, bits)) }
        attributes += [
            .basic(MainModeAttribute.hashAlgorithm, proposal.hash.ikeIdentifier),
            .basic(MainModeAttribute.groupDescription, group?.rawValue ?? 0),
            .basic(MainModeAttribute.lifeType, 1),
            lifetimeAttribute(MainModeAttribute.lifeDuration, lifetimeSeconds),
        ]
        return Transform(number: number, transformID: Transform.keyIKE, attributes: attributes)
    }

    /// A life duration: basic when it fits in 16 bits, else a 4-byte variable attribute.
    static func lifetimeAttribute(_ type: UInt16, _ value: UInt32) -> TransformAttribute {
        if value <= UInt32(UInt16.max) { return .basic(type, UInt16(value)) }
        return TransformAttribute(
            type: type,
            value: .variable([
                UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF),
            ]))
    }

    static func lifetimeValue(_ attribute: TransformAttribute?) -> UInt32? {
        switch attribute?.value {
        case .basic(let v)?: return UInt32(v)
        case .variable(let bytes)? where bytes.count <= 4 && !bytes.isEmpty:
            return bytes.reduce(0) { $0 << 8 | UInt32($1) }
        default: return nil
        }
    }

    /// The offers of an SA payload that this library understands, in order.
    static func offers(in payload: SecurityAssociationPayload) -> [Offer] {
        payload.proposals.filter { $0.protocolID == .isakmp }.flatMap(\.transforms).compactMap { transform in
            guard transform.transformID == Transform.keyIKE,
                let cryptoID = transform.basicValue(of: MainModeAttribute.encryptionAlgorithm),
                let cipher = BlockCipher(
                    cryptoID: cryptoID, keyLengthBits: transform.basicValue(of: MainModeAttribute.keyLength)),
                let hashID = transform.basicValue(of: MainModeAttribute.hashAlgorithm),
                let hash = HashAlgorithm(ikeIdentifier: hashID)
            else { return nil }
            let groupID = transform.basicValue(of: MainModeAttribute.groupDescription) ?? 0
            let group = DiffieHellmanGroup(rawValue: groupID)
            guard groupID == 0 || group != nil else { return nil }
            var lifetime: UInt32?
            if transform.basicValue(of: MainModeAttribute.lifeType) == 1 {
                lifetime = lifetimeValue(transform.attributes.first { $0.type == MainModeAttribute.lifeDuration })
            }
            return Offer(cipher: cipher, hash: hash, group: group, lifetimeSeconds: lifetime, transform: transform)
        }
    }

    /// The responder's choice: its first proposal that was offered, with the group of the KE
    /// payload when there is one and group 0 when there is none.
    static func choose(from offers: [Offer], set: MainModeCryptoSet, keyExchangeGroup: DiffieHellmanGroup?) -> Offer? {
        for proposal in set.proposals {
            if let match = offers.first(where: {
                $0.cipher == proposal.cipher && $0.hash == proposal.hash && $0.group == keyExchangeGroup
                    && (keyExchangeGroup == nil || proposal.group == keyExchangeGroup)
            }) {
                return match
            }
        }
        return nil
    }
}

extension BlockCipher {
    /// The Key Length attribute in bits; nil for DES and 3DES.
    var keyLengthBits: UInt16? {
        switch self {
        case .des, .tripleDES: return nil
        case .aes128: return 128
        case .aes192: return 192
        case .aes256: return 256
        }
    }
}
