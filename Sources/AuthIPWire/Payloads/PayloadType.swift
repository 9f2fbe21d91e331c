/// An ISAKMP payload type number (RFC 2408 §3.1, RFC 3947, MS-AIPS §2.2.3).
public struct PayloadType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let none = PayloadType(rawValue: 0)
    public static let securityAssociation = PayloadType(rawValue: 1)
    public static let proposal = PayloadType(rawValue: 2)
    public static let transform = PayloadType(rawValue: 3)
    public static let keyExchange = PayloadType(rawValue: 4)
    public static let identification = PayloadType(rawValue: 5)
    public static let hash = PayloadType(rawValue: 8)
    public static let nonce = PayloadType(rawValue: 10)
    public static let notify = PayloadType(rawValue: 11)
    public static let vendorID = PayloadType(rawValue: 13)
    public static let natDiscovery = PayloadType(rawValue: 20)
    public static let natOriginalAddress = PayloadType(rawValue: 21)
    public static let gss = PayloadType(rawValue: 0x81)
    public static let fragment = PayloadType(rawValue: 0x84)
    public static let crypto = PayloadType(rawValue: 0x85)
    public static let gssIdentity = PayloadType(rawValue: 0x86)
    public static let auth = PayloadType(rawValue: 0x87)
    public static let keyDictation = PayloadType(rawValue: 0x88)
    public static let keyDictationWeight = PayloadType(rawValue: 0x89)

    public var name: String {
        switch self {
        case .none: return "None"
        case .securityAssociation: return "SA"
        case .proposal: return "Proposal"
        case .transform: return "Transform"
        case .keyExchange: return "KE"
        case .identification: return "ID"
        case .hash: return "Hash"
        case .nonce: return "Nonce"
        case .notify: return "Notify"
        case .vendorID: return "VendorID"
        case .natDiscovery: return "NAT-D"
        case .natOriginalAddress: return "NAT-OA"
        case .gss: return "GSS-API"
        case .fragment: return "Fragment"
        case .crypto: return "Crypto"
        case .gssIdentity: return "GSS_ID"
        case .auth: return "Auth"
        case .keyDictation: return "KeyDictation"
        case .keyDictationWeight: return "KeyDictationWeight"
        default: return "Unknown(\(rawValue))"
        }
    }

    public var description: String { name }

    /// Whether a payload of this type may be skipped when its critical bit is clear: a number
    /// neither AuthIP nor IKEv1 assigns. IKEv1 payloads AuthIP does not use (Certificate,
    /// Signature, Delete, ...) carry meaning a receiver must not ignore, so they stay errors
    /// (Docs/InteropProfile.md, "Parsing tolerance").
    var isSkippable: Bool {
        switch rawValue {
        case 0...13, 20, 21, 0x81, 0x84...0x89: return false
        default: return true
        }
    }
}
