/// 4976 / 4977 / 4978: a main, quick or extended mode negotiation received a packet that
/// failed validation (bad integrity check, replay, malformed contents).
public struct InvalidNegotiationPacket: Hashable, Sendable {
    public var localAddress: AuditAddress?
    public var remoteAddress: AuditAddress?
    public var keyingModule: KeyingModule

    public init(localAddress: AuditAddress?, remoteAddress: AuditAddress?, keyingModule: KeyingModule) {
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.keyingModule = keyingModule
    }

    var auditValues: [AuditValue] {
        [.address(localAddress), .address(remoteAddress), .parameter(keyingModule)]
    }
}
