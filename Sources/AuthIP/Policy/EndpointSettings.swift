/// Endpoint-wide protocol settings; the defaults are the Windows values of MS-AIPS note <12>
/// and MS-IKEE.
public struct EndpointSettings: Sendable, Hashable {
    /// The IKE port, and the NAT-T port once a NAT is detected.
    public var port: UInt16 = 500
    public var natTraversalPort: UInt16 = 4500
    /// The first retransmission interval; each later one doubles.
    public var retransmitInterval: Duration = .seconds(2)
    /// Retransmissions of a negotiation message before the negotiation fails.
    public var maximumRetransmissions = 4
    /// Retransmissions of the first message of a negotiation (Windows 7 and later: 3).
    public var maximumFirstMessageRetransmissions = 3
    /// Retransmissions of a reliable notify.
    public var maximumNotifyRetransmissions = 4
    /// How long a responder waits for the next message before it gives up.
    public var responderTimeout: Duration = .seconds(60)
    /// How long fragments of an incomplete message are kept (MS-IKEE note <17>).
    public var reassemblyTimeout: Duration = .seconds(70)
    /// The IP-level MTU fragments are sized for: 576 for IPv4, 1280 for IPv6.
    public var fragmentMTUIPv4 = 576
    public var fragmentMTUIPv6 = 1280
    /// A new MM #1 from a peer is dropped when the peer already has more than this many MM SAs
    /// (MS-AIPS 3.3.7.1) ...
    public var maximumMainModeSAsPerPeer = 20
    /// ... or more than this many negotiations in progress.
    public var maximumNegotiationsPerPeer = 35
    /// Half-open SAs (negotiations not done) at which the responder answers #1 with a DoS
    /// cookie (MS-AIPS 3.3.5.5, MS-IKEE 3.9), and the count under which it leaves that mode.
    public var denialOfServiceThreshold = 500
    /// How long one DoS cookie stays valid: the cookie is derived from the time slice.
    public var denialOfServiceCookieSlice: Duration = .seconds(30)
    /// How long an NTLM response waits for the domain controller's check; no answer refuses it
    /// with SEC_E_NO_AUTHENTICATING_AUTHORITY.
    public var domainControllerTimeout: Duration = .seconds(10)
    /// The longest a negotiation (Main Mode with its Extended Mode) may take, however the peer
    /// keeps it alive.
    public var maximumNegotiationTime: Duration = .seconds(300)
    /// Authentication attempts (methods and credentials) before Main Mode gives up.
    public var maximumAuthenticationAttempts = 8
    /// A Quick Mode SA this side made is rekeyed this long before it expires (MS-AIPS 3.4.5.3:
    /// the old SA lives on for 60 s).
    public var rekeyMargin: Duration = .seconds(60)

    public init() {}
}
