/// One side of a quick mode traffic selector.
public struct TrafficEndpoint: Hashable, Sendable {
    /// The address, or nil (`-`).
    public var address: AuditAddress?
    /// The subnet mask as an address (`255.255.255.0`, `ffff:ffff:ffff:ffff::`), or nil (`-`)
    /// for a single address.
    public var mask: AuditAddress?
    /// The port; 0 means any.
    public var port: UInt16
    /// The tunnel endpoint in tunnel mode, or nil (`-`).
    public var tunnelEndpoint: AuditAddress?

    public init(
        address: AuditAddress?, mask: AuditAddress? = nil, port: UInt16 = 0, tunnelEndpoint: AuditAddress? = nil
    ) {
        self.address = address
        self.mask = mask
        self.port = port
        self.tunnelEndpoint = tunnelEndpoint
    }
}

extension TrafficEndpoint {
    /// Address, AddressMask, Port, TunnelEndpoint.
    var auditValues: [AuditValue] {
        [.address(address), .address(mask), .uint32(UInt32(port)), .address(tunnelEndpoint)]
    }
}
