/// One payload of an AuthIP message.
public enum Payload: Hashable, Sendable {
    case securityAssociation(SecurityAssociationPayload)
    case keyExchange(KeyExchangePayload)
    case identification(IdentificationPayload)
    case hash(HashPayload)
    case nonce(NoncePayload)
    case notify(NotifyPayload)
    case vendorID(VendorIDPayload)
    case natDiscovery(NATDiscoveryPayload)
    case natOriginalAddress(NATOriginalAddressPayload)
    case gss(GSSPayload)
    case fragment(FragmentPayload)
    case crypto(CryptoPayload)
    case gssIdentity(GSSIdentityPayload)
    case auth(AuthPayload)
    case keyDictation(KeyDictationPayload)
    case keyDictationWeight(KeyDictationWeightPayload)
    /// A payload type AuthIP does not define, without the critical bit: kept so the message
    /// round-trips and `authip decode` shows it, and ignored by the engine.
    case unknown(UnknownPayload)

    public var type: PayloadType {
        switch self {
        case .securityAssociation: return .securityAssociation
        case .keyExchange: return .keyExchange
        case .identification: return .identification
        case .hash: return .hash
        case .nonce: return .nonce
        case .notify: return .notify
        case .vendorID: return .vendorID
        case .natDiscovery: return .natDiscovery
        case .natOriginalAddress: return .natOriginalAddress
        case .gss: return .gss
        case .fragment: return .fragment
        case .crypto: return .crypto
        case .gssIdentity: return .gssIdentity
        case .auth: return .auth
        case .keyDictation: return .keyDictation
        case .keyDictationWeight: return .keyDictationWeight
        case .unknown(let p): return p.type
        }
    }

    /// Reads the body of a payload of `type` (anything but Crypto, which the message reads).
    static func parseBody(
        type: PayloadType, critical: Bool, _ body: inout ByteReader, typeOffset: Int
    ) throws(WireError) -> Payload {
        func read<P: WirePayload>(_: P.Type) throws(WireError) -> P {
            let payload = try P(body: &body)
            try body.expectEnd(P.payloadType.name)
            return payload
        }
        switch type {
        case .securityAssociation: return .securityAssociation(try read(SecurityAssociationPayload.self))
        case .keyExchange: return .keyExchange(try read(KeyExchangePayload.self))
        case .identification: return .identification(try read(IdentificationPayload.self))
        case .hash: return .hash(try read(HashPayload.self))
        case .nonce: return .nonce(try read(NoncePayload.self))
        case .notify: return .notify(try read(NotifyPayload.self))
        case .vendorID: return .vendorID(try read(VendorIDPayload.self))
        case .natDiscovery: return .natDiscovery(try read(NATDiscoveryPayload.self))
        case .natOriginalAddress: return .natOriginalAddress(try read(NATOriginalAddressPayload.self))
        case .gss: return .gss(try read(GSSPayload.self))
        case .fragment: return .fragment(try read(FragmentPayload.self))
        case .gssIdentity: return .gssIdentity(try read(GSSIdentityPayload.self))
        case .auth: return .auth(try read(AuthPayload.self))
        case .keyDictation: return .keyDictation(try read(KeyDictationPayload.self))
        case .keyDictationWeight: return .keyDictationWeight(try read(KeyDictationWeightPayload.self))
        case .crypto: throw WireError(.payloadLoop(field: "Crypto payload after the first payload"), at: typeOffset)
        case _ where type.isSkippable && !critical:
            return .unknown(UnknownPayload(type: type, data: body.readRest()))
        default:
            throw WireError(.unknownCriticalValue(field: "payload type", value: UInt64(type.rawValue)), at: typeOffset)
        }
    }

    func writeBody(to writer: inout ByteWriter) {
        switch self {
        case .securityAssociation(let p): p.writeBody(to: &writer)
        case .keyExchange(let p): p.writeBody(to: &writer)
        case .identification(let p): p.writeBody(to: &writer)
        case .hash(let p): p.writeBody(to: &writer)
        case .nonce(let p): p.writeBody(to: &writer)
        case .notify(let p): p.writeBody(to: &writer)
        case .vendorID(let p): p.writeBody(to: &writer)
        case .natDiscovery(let p): p.writeBody(to: &writer)
        case .natOriginalAddress(let p): p.writeBody(to: &writer)
        case .gss(let p): p.writeBody(to: &writer)
        case .fragment(let p): p.writeBody(to: &writer)
        case .crypto(let p): p.writeBody(to: &writer)
        case .gssIdentity(let p): p.writeBody(to: &writer)
        case .auth(let p): p.writeBody(to: &writer)
        case .keyDictation(let p): p.writeBody(to: &writer)
        case .keyDictationWeight(let p): p.writeBody(to: &writer)
        case .unknown(let p): writer.write(p.data)
        }
    }
}

/// The body of a payload type AuthIP does not define (`Payload.unknown`).
public struct UnknownPayload: Hashable, Sendable {
    public var type: PayloadType
    public var data: [UInt8]

    public init(type: PayloadType, data: [UInt8]) {
        self.type = type
        self.data = data
    }
}
