import AuthIPCrypto
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
    let ruleIndex: Int
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
    init(_ offer: QuickModeProposals.Offer, set: QuickModeCryptoSet, inboundSPI: UInt32, outboundSPI: UInt32,
         initiatorNonce: [UInt8], responderNonce: [UInt8], pfsSecret: SecretBytes, saID: UInt64) {
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
