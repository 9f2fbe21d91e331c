/// One end of a main mode or extended mode negotiation, as the MM/EM events describe it.
public struct NegotiationPeer: Hashable, Sendable {
    /// The authenticated identity (`CORP\CLIENT1$`, a certificate subject), or nil (`-`)
    /// when none was established.
    public var principalName: String?
    /// The address, or nil (`-`) when unknown.
    public var address: AuditAddress?
    /// The keying module's UDP port: 500, or 4500 under NAT traversal.
    public var keyingModulePort: UInt16

    public init(principalName: String?, address: AuditAddress?, keyingModulePort: UInt16) {
        self.principalName = principalName
        self.address = address
        self.keyingModulePort = keyingModulePort
    }
}

extension NegotiationPeer {
    /// LocalAddress, LocalKeyModPort, RemoteAddress, RemoteKeyModPort.
    static func addressValues(local: NegotiationPeer, remote: NegotiationPeer) -> [AuditValue] {
        [
            .address(local.address), .uint32(UInt32(local.keyingModulePort)),
            .address(remote.address), .uint32(UInt32(remote.keyingModulePort)),
        ]
    }
}
