import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// What an `Endpoint` asks its driver to do.
public enum EndpointOutput: Sendable {
    /// Send this datagram.
    case send([UInt8], from: EndpointAddress, to: EndpointAddress)
    /// Install one direction of a Quick Mode SA in the data plane.
    case installSA(IPsecSA)
    /// Remove the data-plane SA with this SPI and direction.
    case removeSA(spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64)
    /// Record this audit event.
    case audit(AuditEvent)
    /// Download this CRL and hand the result back with `crlFetched` before the deadline.
    case fetchCRL(url: String, deadline: Date)
    /// Have the domain controller check this NTLM response and hand the answer back with
    /// `ntlmValidated` before the deadline (`NTLMVerifier.domainController`).
    case validateNTLM(NTLMValidationRequest, deadline: Date)
    /// Look this account up in the remote directory and hand the answer back with
    /// `accountLookedUp` before the deadline (`EndpointConfiguration.remoteDirectory`).
    case lookUpAccount(AccountQuery, deadline: Date)
    /// Call again with `timer` at this time.
    case wakeUp(at: Date)
    /// A choice the peer's own proof decided (Docs/InteropProfile.md, "Calibrated"): worth a
    /// log line, so an administrator sees what a Windows build uses.
    case calibrated(Calibration)
}

/// What the engine found a peer to use where Windows builds may differ.
public struct Calibration: Sendable, Hashable, CustomStringConvertible {
    public var peer: IPAddress
    /// With certificate authentication: the TLS GSS-APIsecret form whose keys the peer's
    /// messages verified under.
    public var tlsSecret: TLSSecretForm?
    /// The form of the Main Mode proofs the peer's Auth1 or Auth2 verified in.
    public var transcript: TranscriptForm

    public init(peer: IPAddress, tlsSecret: TLSSecretForm?, transcript: TranscriptForm = .standard) {
        self.peer = peer
        self.tlsSecret = tlsSecret
        self.transcript = transcript
    }

    /// `2001:db8::1: TLS secret eap-tls-msk, proofs over message`.
    public var description: String {
        "\(peer): " + (tlsSecret.map { "TLS secret \($0.rawValue), " } ?? "") + "proofs over \(transcript)"
    }
}

/// One direction of a Quick Mode SA, with everything a data plane needs to run ESP.
public struct IPsecSA: Sendable, Hashable {
    /// Which way the SA carries traffic: toward this side, or away from it.
    public enum Direction: String, Sendable, Hashable {
        case inbound, outbound
    }

    public var direction: Direction
    public var spi: UInt32
    /// The QMSAID both directions share.
    public var quickModeSAID: UInt64
    /// The traffic this SA carries: from `source` to `destination` as seen in this direction.
    public var source: TrafficSelector
    public var destination: TrafficSelector
    public var encapsulation: IPsecEncapsulation
    /// The outer addresses and, with NAT traversal, the UDP ports (4500).
    public var outerSource: EndpointAddress
    public var outerDestination: EndpointAddress
    public var udpEncapsulated: Bool
    public var cipher: ESPCipher
    public var integrity: ESPIntegrity
    public var encryptionKey: SecretBytes
    public var integrityKey: SecretBytes
    public var lifetimeSeconds: UInt32
    public var lifetimeKilobytes: UInt32

    /// An SA as a data plane gets it (for a data plane's own tests, or a replay of `installSA`).
    public init(
        direction: Direction, spi: UInt32, quickModeSAID: UInt64, source: TrafficSelector,
        destination: TrafficSelector, encapsulation: IPsecEncapsulation, outerSource: EndpointAddress,
        outerDestination: EndpointAddress, udpEncapsulated: Bool, cipher: ESPCipher, integrity: ESPIntegrity,
        encryptionKey: SecretBytes, integrityKey: SecretBytes, lifetimeSeconds: UInt32, lifetimeKilobytes: UInt32
    ) {
        self.direction = direction
        self.spi = spi
        self.quickModeSAID = quickModeSAID
        self.source = source
        self.destination = destination
        self.encapsulation = encapsulation
        self.outerSource = outerSource
        self.outerDestination = outerDestination
        self.udpEncapsulated = udpEncapsulated
        self.cipher = cipher
        self.integrity = integrity
        self.encryptionKey = encryptionKey
        self.integrityKey = integrityKey
        self.lifetimeSeconds = lifetimeSeconds
        self.lifetimeKilobytes = lifetimeKilobytes
    }
}
