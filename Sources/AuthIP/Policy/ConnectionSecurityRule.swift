import AuthIPSADatabase
import AuthIPWire

/// A connection security rule: which traffic is protected, how (transport or tunnel mode), and
/// the authentication and crypto sets that negotiate its SAs.
public struct ConnectionSecurityRule: Sendable {
    /// The rule's name; the SA tables and events refer to it.
    public var name: String
    /// The WFP filter ID events report for this rule's Main Mode and Quick Mode.
    public var filterID: UInt64
    /// The traffic the rule protects: packets from `local` to `remote`.
    public var local: TrafficSelector
    public var remote: TrafficSelector
    public var mode: Mode
    public var mainModeAuthentication: AuthenticationSet
    public var mainModeCrypto: MainModeCryptoSet
    public var quickModeCrypto: QuickModeCryptoSet
    /// The second authentication, or nil for none.
    public var extendedMode: ExtendedModePolicy?
    /// What the responder checks beyond authentication.
    public var authorization: AuthorizationPolicy
    /// Quick Modes started by the side that answered Main Mode (DirectAccess manage out): on
    /// that side, the local sources it may start them from; on the other, the peer sources it
    /// accepts them from. nil: any source the rule covers; empty: none.
    public var managementPrefixes: [AddressRange]?
    /// Initiator: who the responder must prove to be; nil: whoever the trust policy and
    /// the Kerberos realm accept.
    public var responderIdentity: ResponderIdentity?
    /// Responder, on a tunnel rule toward a range of peers: what a peer may claim as its own
    /// side of a Quick Mode.
    public var peerSelectors: PeerSelectors = .peerAddress
    /// Which half of the Quick Mode KEYMAT is the ESP integrity key (RISK 1). No proof in the
    /// negotiation tells: a wrong split shows as ESP integrity failures on the first packets
    /// in both directions while IKE reports success (Docs/Interop.md tells how to check).
    public var quickModeKeyOrder: QuickModeKeyOrder = InteropProfile.quickModeKeyOrder

    /// What a peer of a tunnel rule toward a range of peers may propose as its own traffic.
    /// Another peer's address, or `::/0`, would get it SAs for traffic that is not its own.
    public enum PeerSelectors: Sendable, Hashable {
        /// Only its own tunnel endpoint address (a DirectAccess client sends from it).
        case peerAddress
        /// The prefix of this length around its tunnel endpoint (a peer routing a subnet).
        case peerPrefix(length: Int)
        /// Anything within these ranges, whichever peer proposes it.
        case ranges([AddressRange])
    }

    /// How the rule's Quick Mode SAs carry traffic, and so where Main Mode runs.
    public enum Mode: Sendable, Hashable {
        /// Transport mode: Main Mode runs between the traffic's own addresses.
        case transport
        /// Tunnel mode between this side's tunnel endpoint and the peer's. A responder rule
        /// may give a range of peer endpoints; an initiator needs a single address.
        case tunnel(localEndpoint: IPAddress, remoteEndpoints: AddressRange)
    }

    public init(
        name: String, filterID: UInt64 = 0, local: TrafficSelector, remote: TrafficSelector, mode: Mode = .transport,
        mainModeAuthentication: AuthenticationSet, mainModeCrypto: MainModeCryptoSet = .windowsDefault,
        quickModeCrypto: QuickModeCryptoSet = .windowsDefault, extendedMode: ExtendedModePolicy? = nil,
        authorization: AuthorizationPolicy = .none, managementPrefixes: [AddressRange]? = nil,
        responderIdentity: ResponderIdentity? = nil
    ) {
        self.name = name
        self.filterID = filterID
        self.local = local
        self.remote = remote
        self.mode = mode
        self.mainModeAuthentication = mainModeAuthentication
        self.mainModeCrypto = mainModeCrypto
        self.quickModeCrypto = quickModeCrypto
        self.extendedMode = extendedMode
        self.authorization = authorization
        self.managementPrefixes = managementPrefixes
        self.responderIdentity = responderIdentity
    }

    /// Whether Main Mode between these two addresses can serve this rule.
    func matchesMainMode(local localAddress: IPAddress, remote remoteAddress: IPAddress) -> Bool {
        switch mode {
        case .transport:
            return local.addresses.contains(localAddress) && remote.addresses.contains(remoteAddress)
        case .tunnel(let localEndpoint, let remoteEndpoints):
            return localEndpoint == localAddress && remoteEndpoints.contains(remoteAddress)
        }
    }

    /// Whether this rule may start a Main Mode: not when its peers are a range of tunnel
    /// endpoints (a server's rule toward any client reaches only connected clients).
    var startsMainMode: Bool {
        if case .tunnel(_, let endpoints) = mode { return endpoints.first == endpoints.last }
        return true
    }

    /// The Main Mode peer for traffic to `destination`, or nil when this rule cannot initiate.
    func mainModePeer(for destination: IPAddress) -> IPAddress? {
        switch mode {
        case .transport: return destination
        case .tunnel(_, let endpoints):
            if endpoints.first == endpoints.last { return endpoints.first }
            // A peer whose inner address is its tunnel endpoint (a DirectAccess client).
            return endpoints.contains(destination) ? destination : nil
        }
    }

    /// Whether a peer at `peer` may propose `selector` as its side of a Quick Mode of this rule.
    func allowsPeerSelector(_ selector: AddressRange, peer: IPAddress) -> Bool {
        guard case .tunnel(_, let endpoints) = mode, endpoints.first != endpoints.last else { return true }
        switch peerSelectors {
        case .peerAddress: return selector == AddressRange(peer)
        case .peerPrefix(let length): return AddressRange(peer, prefixLength: length).contains(selector)
        case .ranges(let ranges): return ranges.contains { $0.contains(selector) }
        }
    }

    /// Whether an SA that passed this rule's checks may carry Quick Modes of `other`: the same
    /// authentications, the same authorization, the same demands on the responder.
    func sharesAuthorization(with other: ConnectionSecurityRule) -> Bool {
        mainModeAuthentication.offered == other.mainModeAuthentication.offered
            && extendedMode?.authentication.offered == other.extendedMode?.authentication.offered
            && extendedMode?.allowsExplicitCredentials == other.extendedMode?.allowsExplicitCredentials
            && authorization == other.authorization && responderIdentity == other.responderIdentity
            && peerSelectors == other.peerSelectors
    }

    /// Whether an MM SA made for `other` can carry this rule's Quick Modes: the same tunnel
    /// endpoints and the same authentications.
    func sharesMainMode(with other: ConnectionSecurityRule) -> Bool {
        mode == other.mode && mainModeAuthentication.offered == other.mainModeAuthentication.offered
            && extendedMode?.authentication.offered == other.extendedMode?.authentication.offered
    }

    /// The local Main Mode address for traffic from `source`.
    func mainModeLocal(for source: IPAddress) -> IPAddress {
        switch mode {
        case .transport: return source
        case .tunnel(let endpoint, _): return endpoint
        }
    }

    /// The encapsulation of this rule's SAs between these Main Mode addresses.
    func encapsulation(local localAddress: IPAddress, remote remoteAddress: IPAddress) -> IPsecEncapsulation {
        switch mode {
        case .transport: return .transport
        case .tunnel: return .tunnel(local: localAddress, remote: remoteAddress)
        }
    }
}
