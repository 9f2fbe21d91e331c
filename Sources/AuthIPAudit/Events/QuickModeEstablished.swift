/// 5451: a quick mode SA (a pair of ESP/AH SAs) was established.
public struct QuickModeEstablished: Hashable, Sendable {
    public var local: TrafficEndpoint
    public var remote: TrafficEndpoint
    /// The peer's private address behind a NAT, or nil (`-`).
    public var remotePrivateAddress: AuditAddress?
    /// The IP protocol of the selector; 0 means any.
    public var ipProtocol: UInt8
    public var keyingModule: KeyingModule
    /// AH integrity, `.none` without AH.
    public var ahIntegrity: IntegrityAlgorithm
    /// ESP integrity, `.none` without ESP authentication.
    public var espIntegrity: IntegrityAlgorithm
    /// ESP encryption, `.none` without ESP encryption.
    public var cipher: CipherAlgorithm
    public var lifetimeSeconds: UInt32
    public var lifetimeKilobytes: UInt32
    public var lifetimePackets: UInt32
    public var mode: IPsecMode
    public var role: NegotiationRole
    /// The WFP transport or tunnel filter that matched.
    public var filterID: UInt64
    public var mainModeSAID: UInt64
    /// The SA's identifier, shared with the event that reports its end (5452).
    public var quickModeSAID: UInt64
    public var inboundSPI: UInt32
    public var outboundSPI: UInt32
    /// The virtual-interface tunnel, 0 when none.
    public var tunnelID: UInt64
    /// The virtual-interface traffic selector, 0 when none.
    public var trafficSelectorID: UInt64

    public init(
        local: TrafficEndpoint, remote: TrafficEndpoint, remotePrivateAddress: AuditAddress?, ipProtocol: UInt8,
        keyingModule: KeyingModule, ahIntegrity: IntegrityAlgorithm, espIntegrity: IntegrityAlgorithm,
        cipher: CipherAlgorithm, lifetimeSeconds: UInt32, lifetimeKilobytes: UInt32, lifetimePackets: UInt32,
        mode: IPsecMode, role: NegotiationRole, filterID: UInt64, mainModeSAID: UInt64, quickModeSAID: UInt64,
        inboundSPI: UInt32, outboundSPI: UInt32, tunnelID: UInt64 = 0, trafficSelectorID: UInt64 = 0
    ) {
        self.local = local
        self.remote = remote
        self.remotePrivateAddress = remotePrivateAddress
        self.ipProtocol = ipProtocol
        self.keyingModule = keyingModule
        self.ahIntegrity = ahIntegrity
        self.espIntegrity = espIntegrity
        self.cipher = cipher
        self.lifetimeSeconds = lifetimeSeconds
        self.lifetimeKilobytes = lifetimeKilobytes
        self.lifetimePackets = lifetimePackets
        self.mode = mode
        self.role = role
        self.filterID = filterID
        self.mainModeSAID = mainModeSAID
        self.quickModeSAID = quickModeSAID
        self.inboundSPI = inboundSPI
        self.outboundSPI = outboundSPI
        self.tunnelID = tunnelID
        self.trafficSelectorID = trafficSelectorID
    }

    var auditValues: [AuditValue] {
        [
            .address(local.address), .address(local.mask), .uint32(UInt32(local.port)), .address(local.tunnelEndpoint),
            .address(remote.address), .address(remote.mask), .uint32(UInt32(remote.port)),
            .address(remotePrivateAddress), .address(remote.tunnelEndpoint),
            .uint32(UInt32(ipProtocol)), .parameter(keyingModule),
            .parameter(ahIntegrity), .parameter(espIntegrity), .parameter(cipher),
            .uint32(lifetimeSeconds), .uint32(lifetimeKilobytes), .uint32(lifetimePackets),
            .parameter(mode), .parameter(role), .uint64(filterID), .uint64(mainModeSAID), .uint64(quickModeSAID),
            .uint64(UInt64(inboundSPI)), .uint64(UInt64(outboundSPI)), .uint64(tunnelID), .uint64(trafficSelectorID),
        ]
    }
}
