import AuthIPCrypto
import AuthIPTrust
import AuthIPGSS
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// One Quick Mode negotiation on an MM SA, keyed by its message ID.
struct QuickModeExchange {
    let messageID: UInt32
    let role: SARole
    /// 243 for the first Quick Mode of a Main Mode, 244 afterwards.
    let exchangeType: ExchangeType
    let ruleIndex: Int
    var localSelector: TrafficSelector
    var remoteSelector: TrafficSelector
    var state: QuickModePhase
    /// Responder: when it stops waiting for QM synchronize.
    var deadline: Date?
    /// The QM SA this exchange rekeys, if any.
    var replaces: UInt64?
}

enum QuickModePhase {
    /// Initiator: #5 (or #1 on 244) sent.
    case initiatorOffered(QuickModeOffer)
    /// Initiator: #6 checked, inbound SA installed, QM synchronize sent.
    case initiatorSynchronizing(QuickModeAgreement)
    /// Responder: #6 sent, waiting for QM synchronize.
    case responderAnswered(QuickModeAgreement)
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
}
