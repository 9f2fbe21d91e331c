import AuthIPWire

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
    /// Peers are counted by IPv6 prefixes of this length (a host may use any address of its
    /// /64) ...
    public var peerPrefixLengthIPv6 = 64
    /// ... except in these ranges, where each address is a peer of its own: Teredo (its
    /// clients share their server's /64). Add the IP-HTTPS prefix of a DirectAccess server:
    /// all its IP-HTTPS clients have addresses of that one /64.
    public var individuallyCountedRanges: [AddressRange] = [
        AddressRange(.v6(IPv6Address(high: 0x2001_0000_0000_0000, low: 0)), prefixLength: 32)
    ]
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
    /// Authentication attempts (methods and credentials) before Main Mode gives up ...
    public var maximumAuthenticationAttempts = 8
    /// ... and starts of one method (its first and its credential retries) a responder takes.
    public var maximumStartsPerMethod = 3
    /// TLS acceptors a responder starts for one peer (an ECDHE and a signature each): this
    /// many a second, in bursts of `tlsStartBurst`. A start past them is dropped unanswered,
    /// as Windows drops SA requests past its per-IP rate (ERROR_IPSEC_IKE_RATELIMIT_DROP): the
    /// initiator's retransmission gets through once the peer is within its rate again.
    public var tlsStartsPerSecond: Double = 4
    public var tlsStartBurst: Double = 16
    /// Quick Modes a peer may have in progress on one MM SA, ...
    public var maximumQuickModeNegotiationsPerMainMode = 8
    /// ... QM SAs on one MM SA (rekeys overlap their predecessors for a while) ...
    public var maximumQuickModeSAsPerMainMode = 64
    /// ... and Quick Modes in progress, and QM SAs, on the whole endpoint. A Quick Mode past
    /// any of these is refused with ERROR_IPSEC_IKE_QM_LIMIT (4654).
    public var maximumQuickModeNegotiations = 4_096
    public var maximumQuickModeSAs = 262_144
    /// A Quick Mode SA this side made is rekeyed this long before it expires (MS-AIPS 3.4.5.3:
    /// the old SA lives on for 60 s).
    public var rekeyMargin: Duration = .seconds(60)

    /// How many times an initiator negotiates again for traffic whose negotiation the peer
    /// stopped answering (timed out), as Windows does while the traffic persists; the first
    /// retry waits `negotiationRetryBackoff`, each later one twice as long.
    public var negotiationRetries = 3
    public var negotiationRetryBackoff: Duration = .seconds(1)

    /// What this side sends where Windows builds may differ; every variant is accepted
    /// whatever this is (`InteropProfile`).
    public var interop = InteropProfile.standard

    public init() {}
}
