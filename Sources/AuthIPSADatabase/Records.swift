import AuthIPCrypto
import AuthIPWire
import Foundation

/// The ISAKMP cookies that name a Main Mode SA.
public struct CookiePair: Hashable, Sendable, CustomStringConvertible {
    public var initiator: UInt64
    public var responder: UInt64

    public init(initiator: UInt64, responder: UInt64) {
        self.initiator = initiator
        self.responder = responder
    }

    /// `initiator:responder`, each as 16 hex digits (netsh's "Cookie Pair").
    public var description: String { Self.hex(initiator) + ":" + Self.hex(responder) }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Which side started the negotiation that made an SA.
public enum SARole: String, Hashable, Sendable {
    case initiator, responder
}

/// An established Main Mode SA, as the SA database and its queries describe it. The
/// negotiation's keys are not here: the engine keeps them beside the record.
public struct MainModeSARecord: Hashable, Sendable {
    /// The MMSAID of events 4650/4651/4655, unique in the database.
    public var id: UInt64
    public var cookies: CookiePair
    public var role: SARole
    public var local: EndpointAddress
    public var remote: EndpointAddress
    /// The identity this side authenticated as in Main Mode (certificate subject, Kerberos
    /// principal, `DOMAIN\NAME$`), or nil.
    public var localIdentity: String?
    /// The identity the peer authenticated as in Main Mode, or nil (NTLM initiator side,
    /// Anonymous).
    public var remoteIdentity: String?
    /// The Main Mode authentication method.
    public var authenticationMethod: AuthMethod
    /// The Extended Mode identities and method, once Extended Mode completed.
    public var localSecondIdentity: String?
    public var remoteSecondIdentity: String?
    public var secondAuthenticationMethod: AuthMethod?
    public var cipher: BlockCipher
    public var hash: HashAlgorithm
    /// The DH group, or nil when Main Mode used no DH.
    public var diffieHellmanGroup: DiffieHellmanGroup?
    /// Whether NAT-D showed a NAT between the peers.
    public var natDetected: Bool
    /// The most Quick Modes this SA may key, and how many it has keyed.
    public var quickModeLimit: Int
    public var quickModeCount: Int
    public var created: Date
    public var expires: Date
    /// The connection security rule that matched.
    public var ruleName: String

    public init(
        id: UInt64, cookies: CookiePair, role: SARole, local: EndpointAddress, remote: EndpointAddress,
        localIdentity: String?, remoteIdentity: String?, authenticationMethod: AuthMethod,
        cipher: BlockCipher, hash: HashAlgorithm, diffieHellmanGroup: DiffieHellmanGroup?, natDetected: Bool,
        quickModeLimit: Int, quickModeCount: Int = 0, created: Date, expires: Date, ruleName: String
    ) {
        self.id = id
        self.cookies = cookies
        self.role = role
        self.local = local
        self.remote = remote
        self.localIdentity = localIdentity
        self.remoteIdentity = remoteIdentity
        self.authenticationMethod = authenticationMethod
        self.cipher = cipher
        self.hash = hash
        self.diffieHellmanGroup = diffieHellmanGroup
        self.natDetected = natDetected
        self.quickModeLimit = quickModeLimit
        self.quickModeCount = quickModeCount
        self.created = created
        self.expires = expires
        self.ruleName = ruleName
    }
}

/// How a Quick Mode SA encapsulates traffic.
public enum IPsecEncapsulation: Hashable, Sendable {
    case transport
    /// Tunnel mode between these outer addresses.
    case tunnel(local: IPAddress, remote: IPAddress)

    public var isTunnel: Bool {
        if case .tunnel = self { return true }
        return false
    }
}

/// The ESP encryption of a Quick Mode SA.
public enum ESPCipher: String, Hashable, Sendable, CaseIterable {
    case none, tripleDES, aes128, aes192, aes256, aesGCM128, aesGCM192, aesGCM256

    /// The ESP transform ID (RFC 2407 §4.4.4 and the IANA registry).
    public var transformID: UInt8 {
        switch self {
        case .none: return 11
        case .tripleDES: return 3
        case .aes128, .aes192, .aes256: return 12
        case .aesGCM128, .aesGCM192, .aesGCM256: return 20
        }
    }

    /// The Key Length attribute in bits, or nil when the transform has none.
    public var keyLengthBits: UInt16? {
        switch self {
        case .none, .tripleDES: return nil
        case .aes128, .aesGCM128: return 128
        case .aes192, .aesGCM192: return 192
        case .aes256, .aesGCM256: return 256
        }
    }

    /// ipseccryptLength: the key bytes (GCM: key plus the 4-byte salt of RFC 4106).
    public var keyLength: Int {
        switch self {
        case .none: return 0
        case .tripleDES: return 24
        case .aes128: return 16
        case .aes192: return 24
        case .aes256: return 32
        case .aesGCM128: return 20
        case .aesGCM192: return 28
        case .aesGCM256: return 36
        }
    }

    /// Whether the cipher authenticates by itself (and so takes no integrity algorithm).
    public var isAEAD: Bool { self == .aesGCM128 || self == .aesGCM192 || self == .aesGCM256 }

    public init?(transformID: UInt8, keyLengthBits: UInt16?) {
        guard
            let match = ESPCipher.allCases.first(where: {
                $0.transformID == transformID && $0.keyLengthBits == keyLengthBits
            })
        else {
            return nil
        }
        self = match
    }
}

/// The ESP integrity algorithm of a Quick Mode SA.
public enum ESPIntegrity: String, Hashable, Sendable, CaseIterable {
    case none, md5, sha1, sha256, sha384

    /// The Authentication Algorithm attribute (RFC 2407 §4.5 and the IANA registry).
    public var attributeValue: UInt16? {
        switch self {
        case .none: return nil
        case .md5: return 1
        case .sha1: return 2
        case .sha256: return 5
        case .sha384: return 6
        }
    }

    /// ipsechashLength: the HMAC key bytes.
    public var keyLength: Int {
        switch self {
        case .none: return 0
        case .md5: return 16
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        }
    }

    public init?(attributeValue: UInt16?) {
        guard let match = ESPIntegrity.allCases.first(where: { $0.attributeValue == attributeValue }) else {
            return nil
        }
        self = match
    }
}

/// An established Quick Mode SA: the pair of inbound and outbound ESP SAs.
public struct QuickModeSARecord: Hashable, Sendable {
    /// The QMSAID of events 5451/5452, unique in the database.
    public var id: UInt64
    /// The Main Mode SA that keyed it.
    public var mainModeID: UInt64
    public var role: SARole
    /// The SPI this side chose (packets arriving carry it) and the peer's.
    public var inboundSPI: UInt32
    public var outboundSPI: UInt32
    public var localSelector: TrafficSelector
    public var remoteSelector: TrafficSelector
    public var encapsulation: IPsecEncapsulation
    /// Whether ESP is UDP-encapsulated (NAT traversal).
    public var udpEncapsulated: Bool
    public var cipher: ESPCipher
    public var integrity: ESPIntegrity
    /// The DH group of Quick Mode PFS, or nil.
    public var pfsGroup: DiffieHellmanGroup?
    public var lifetimeSeconds: UInt32
    public var lifetimeKilobytes: UInt32
    public var created: Date
    public var expires: Date
    public var bytesIn: UInt64
    public var bytesOut: UInt64

    public init(
        id: UInt64, mainModeID: UInt64, role: SARole, inboundSPI: UInt32, outboundSPI: UInt32,
        localSelector: TrafficSelector, remoteSelector: TrafficSelector, encapsulation: IPsecEncapsulation,
        udpEncapsulated: Bool, cipher: ESPCipher, integrity: ESPIntegrity, pfsGroup: DiffieHellmanGroup?,
        lifetimeSeconds: UInt32, lifetimeKilobytes: UInt32, created: Date, expires: Date,
        bytesIn: UInt64 = 0, bytesOut: UInt64 = 0
    ) {
        self.id = id
        self.mainModeID = mainModeID
        self.role = role
        self.inboundSPI = inboundSPI
        self.outboundSPI = outboundSPI
        self.localSelector = localSelector
        self.remoteSelector = remoteSelector
        self.encapsulation = encapsulation
        self.udpEncapsulated = udpEncapsulated
        self.cipher = cipher
        self.integrity = integrity
        self.pfsGroup = pfsGroup
        self.lifetimeSeconds = lifetimeSeconds
        self.lifetimeKilobytes = lifetimeKilobytes
        self.created = created
        self.expires = expires
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
    }
}

extension QuickModeSARecord {
    /// Whether the traffic in either direction has reached the kilobyte lifetime (0: none).
    public var kilobyteLifetimeReached: Bool {
        guard lifetimeKilobytes > 0 else { return false }
        let limit = UInt64(lifetimeKilobytes) * 1024
        return bytesIn >= limit || bytesOut >= limit
    }
}
