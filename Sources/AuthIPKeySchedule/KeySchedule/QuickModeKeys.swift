import AuthIPCrypto
import AuthIPWire

/// The keys of one QM SA (one SPI, one direction), MS-AIPS 3.1.7.4.
public struct QuickModeKeys: Sendable, Hashable {
    public let integrityKey: SecretBytes
    public let encryptionKey: SecretBytes

    /// What binds QM keys to an Extended Mode authentication: the MM nonces and SKEYID_em.
    public struct ExtendedModeBinding: Sendable {
        public var initiatorNonce: [UInt8]
        public var responderNonce: [UInt8]
        public var skeyidEM: SecretBytes

        public init(initiatorNonce: [UInt8], responderNonce: [UInt8], skeyidEM: SecretBytes) {
            self.initiatorNonce = initiatorNonce
            self.responderNonce = responderNonce
            self.skeyidEM = skeyidEM
        }
    }

    /// KEYMAT = A-KDF(Z(qm), OtherInfo(MessageId || SPI || Ni(qm) || Nr(qm) || SKEYID_d,
    /// [Ni || Nr || SKEYID_em]), integrityKeyLength + encryptionKeyLength), split by
    /// `order` (the rule's; `InteropProfile.quickModeKeyOrder` by default). `spi` is the
    /// receiving side's SPI of this SA.
    public init(
        derivation: KeyDerivation, skeyidD: SecretBytes, messageID: UInt32, spi: UInt32,
        initiatorNonce: [UInt8], responderNonce: [UInt8], pfsSecret: SecretBytes = .empty,
        extendedMode: ExtendedModeBinding? = nil, integrityKeyLength: Int, encryptionKeyLength: Int,
        order: QuickModeKeyOrder = InteropProfile.quickModeKeyOrder
    ) {
        let keymat = derivation.derive(
            z: pfsSecret, length: integrityKeyLength + encryptionKeyLength,
            suppPubInfo: { sink in
                sink.append(bigEndian: messageID)
                sink.append(bigEndian: spi)
                sink.append(initiatorNonce)
                sink.append(responderNonce)
                sink.append(skeyidD)
            },
            suppPrivInfo: { sink in
                guard let extendedMode else { return }
                sink.append(extendedMode.initiatorNonce)
                sink.append(extendedMode.responderNonce)
                sink.append(extendedMode.skeyidEM)
            })
        switch order {
        case .integrityKeyFirst:
            integrityKey = keymat.prefix(integrityKeyLength)
            encryptionKey = keymat.suffix(encryptionKeyLength)
        case .encryptionKeyFirst:
            encryptionKey = keymat.prefix(encryptionKeyLength)
            integrityKey = keymat.suffix(integrityKeyLength)
        }
    }
}
