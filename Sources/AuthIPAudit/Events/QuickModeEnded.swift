/// 5452: a quick mode SA ended.
public struct QuickModeEnded: Hashable, Sendable {
    public var local: TrafficEndpoint
    public var remote: TrafficEndpoint
    /// The IP protocol of the selector; 0 means any.
    public var ipProtocol: UInt8
    /// The identifier the establishing event (5451) reported.
    public var quickModeSAID: UInt64
    /// The virtual-interface tunnel, 0 when none.
    public var tunnelID: UInt64
    /// The virtual-interface traffic selector, 0 when none.
    public var trafficSelectorID: UInt64

    public init(
        local: TrafficEndpoint, remote: TrafficEndpoint, ipProtocol: UInt8, quickModeSAID: UInt64,
        tunnelID: UInt64 = 0, trafficSelectorID: UInt64 = 0
    ) {
        self.local = local
        self.remote = remote
        self.ipProtocol = ipProtocol
        self.quickModeSAID = quickModeSAID
        self.tunnelID = tunnelID
        self.trafficSelectorID = trafficSelectorID
    }

    var auditValues: [AuditValue] {
        local.auditValues + remote.auditValues
            + [.uint32(UInt32(ipProtocol)), .uint64(quickModeSAID), .uint64(tunnelID), .uint64(trafficSelectorID)]
    }
}
