/// 4654: a quick mode negotiation failed.
public struct QuickModeFailed: Hashable, Sendable {
    public var local: TrafficEndpoint
    public var remote: TrafficEndpoint
    /// The IP protocol of the selector; 0 means any.
    public var ipProtocol: UInt8
    /// The peer's private address behind a NAT, or nil (`-`).
    public var remotePrivateAddress: AuditAddress?
    public var keyingModule: KeyingModule
    public var failure: NegotiationFailure
    public var mode: IPsecMode
    public var state: QuickModeState
    public var role: NegotiationRole
    /// The quick mode exchange's ISAKMP message ID.
    public var messageID: UInt32
    /// The WFP filter of the quick mode policy that matched.
    public var filterID: UInt64
    public var mainModeSAID: UInt64
    /// The virtual-interface tunnel, 0 when none.
    public var tunnelID: UInt64
    /// The virtual-interface traffic selector, 0 when none.
    public var trafficSelectorID: UInt64

    public init(
        local: TrafficEndpoint, remote: TrafficEndpoint, ipProtocol: UInt8, remotePrivateAddress: AuditAddress?,
        keyingModule: KeyingModule, failure: NegotiationFailure, mode: IPsecMode, state: QuickModeState,
        role: NegotiationRole, messageID: UInt32, filterID: UInt64, mainModeSAID: UInt64,
        tunnelID: UInt64 = 0, trafficSelectorID: UInt64 = 0
    ) {
        self.local = local
        self.remote = remote
        self.ipProtocol = ipProtocol
        self.remotePrivateAddress = remotePrivateAddress
        self.keyingModule = keyingModule
        self.failure = failure
        self.mode = mode
        self.state = state
        self.role = role
        self.messageID = messageID
        self.filterID = filterID
        self.mainModeSAID = mainModeSAID
        self.tunnelID = tunnelID
        self.trafficSelectorID = trafficSelectorID
    }

    var auditValues: [AuditValue] {
        local.auditValues + remote.auditValues
            + [.uint32(UInt32(ipProtocol)), .address(remotePrivateAddress), .parameter(keyingModule)]
            + failure.auditValues
            + [
                .parameter(mode), .parameter(state), .parameter(role), .uint32(messageID), .uint64(filterID),
                .uint64(mainModeSAID), .uint64(tunnelID), .uint64(trafficSelectorID),
            ]
    }
}
