import AuthIPKeySchedule
import AuthIPWire
import Foundation

/// A received message, opened: its header, plaintext payloads and the raw plaintext chain the
/// authentication transcripts hash.
struct Inbound {
    var header: ISAKMPHeader
    var sequence: UInt32
    var payloads: [Payload]
    var chain: [UInt8]
    var from: EndpointAddress
    var to: EndpointAddress
    /// The received datagram's digest (after reassembly): what tells a retransmission.
    var digest: DatagramDigest
    /// A clear message's ISAKMP header and Crypto payload, for the transcript forms that
    /// cover them (`TranscriptForm.Coverage`).
    var clearHeader: [UInt8] = []
    var clearCrypto: [UInt8] = []

    /// The message as the transcripts take it.
    var transcriptMessage: TranscriptMessage {
        TranscriptMessage(header: clearHeader, cryptoPayload: clearCrypto, chain: chain)
    }

    var key: ExchangeKey { ExchangeKey(exchange: header.exchangeType, messageID: header.messageID, sequence: sequence) }

    func first<T>(_ extract: (Payload) -> T?) -> T? { payloads.lazy.compactMap(extract).first }
    func all<T>(_ extract: (Payload) -> T?) -> [T] { payloads.compactMap(extract) }

    var gss: GSSPayload? { first { if case .gss(let p) = $0 { return p } else { return nil } } }
    var hash: HashPayload? { first { if case .hash(let p) = $0 { return p } else { return nil } } }
    var notifies: [NotifyPayload] { all { if case .notify(let p) = $0 { return p } else { return nil } } }
    var nonces: [NoncePayload] { all { if case .nonce(let p) = $0 { return p } else { return nil } } }
    var securityAssociation: SecurityAssociationPayload? {
        first { if case .securityAssociation(let p) = $0 { return p } else { return nil } }
    }
    var identifications: [IdentificationPayload] {
        all { if case .identification(let p) = $0 { return p } else { return nil } }
    }
    var keyExchange: KeyExchangePayload? { first { if case .keyExchange(let p) = $0 { return p } else { return nil } } }
    var auth: AuthPayload? { first { if case .auth(let p) = $0 { return p } else { return nil } } }
    var vendors: [KnownVendor] { all { if case .vendorID(let p) = $0 { return p.knownVendor } else { return nil } } }
    var natDiscovery: [NATDiscoveryPayload] {
        all { if case .natDiscovery(let p) = $0 { return p } else { return nil } }
    }
    var gssIdentity: GSSIdentityPayload? { first { if case .gssIdentity(let p) = $0 { return p } else { return nil } } }

    /// Whether the peer dictates Quick Mode keys (Key Dictation, 0x88/0x89), which this library
    /// does not implement: such a Quick Mode fails instead of running on keys that differ.
    var dictatesKeys: Bool {
        payloads.contains { $0.type == .keyDictation || $0.type == .keyDictationWeight }
    }

    /// The error code of a NOTIFY_STATUS in the message (either numbering).
    var statusCode: UInt32? {
        for notify in notifies { if case .status(let code) = notify.content { return code } }
        return nil
    }
}

extension TranscriptMessage {
    /// A clear datagram whose Crypto payload is `cryptoLength` bytes, taken apart.
    init(clear datagram: [UInt8], cryptoLength: Int) {
        let header = min(ISAKMPHeader.size, datagram.count), chain = min(header + cryptoLength, datagram.count)
        self.init(
            header: Array(datagram[..<header]), cryptoPayload: Array(datagram[header..<chain]),
            chain: Array(datagram[chain...]))
    }
}
