import AuthIPAccounts
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// What a driver hands an `Endpoint`.
public enum EndpointInput: Sendable {
    /// A UDP datagram that arrived (without the non-ESP marker of port 4500).
    case datagram([UInt8], from: EndpointAddress, to: EndpointAddress)
    /// The time asked for with `wakeUp(at:)` has come (early or repeated calls are harmless).
    case timer
    /// An outbound packet needs an SA: start Main Mode and Quick Mode for it, or reuse an MM SA.
    case acquire(TrafficRequest)
    /// The result of a `fetchCRL` request.
    case crlFetched(url: String, result: CRLDownload)
    /// The domain controller's answer to a `validateNTLM` request.
    case ntlmValidated(NTLMValidationRequest, NTLMValidation)
    /// The answer to a `lookUpAccount` request.
    case accountLookedUp(AccountQuery, AccountLookup)
    /// Remove the matching MM SAs with their QM SAs, telling each peer.
    case removeMainModeSAs(MainModeSAFilter)
    /// Remove one QM SA, telling the peer.
    case removeQuickModeSA(id: UInt64)
    /// Bytes a data plane carried on one direction of a QM SA.
    case bytesTransferred(quickModeSAID: UInt64, inbound: Bool, bytes: UInt64)
    /// Refuse an identity (a `-like` pattern over first and second identities): its SAs are
    /// removed at once and the peers told; new negotiations are refused until `until` (nil:
    /// until unblocked).
    case block(WildcardPattern, until: Date?)
    case unblock(WildcardPattern)
    /// Adopt a new configuration (`authip reload`). A rule is the same rule when its name is
    /// (the n-th of a name the n-th): negotiations and SAs under rules that remain go on under
    /// their new definition; those under a rule that is gone are removed, the peer told, or
    /// fail with ERROR_IPSEC_IKE_POLICY_CHANGE. The settings' ports are not the engine's to
    /// change (the driver keeps its sockets).
    case reconfigure(EndpointConfiguration)
    /// Stop: tell every peer and remove every SA.
    case shutdown
}

/// A packet that needs protection: its addresses, protocol and ports.
public struct TrafficRequest: Sendable, Hashable {
    public var source: IPAddress
    public var destination: IPAddress
    public var ipProtocol: UInt8
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(
        source: IPAddress, destination: IPAddress, ipProtocol: UInt8 = 0, sourcePort: UInt16 = 0,
        destinationPort: UInt16 = 0
    ) {
        self.source = source
        self.destination = destination
        self.ipProtocol = ipProtocol
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }
}
