/// 4655: a main mode SA ended.
public struct MainModeEnded: Hashable, Sendable {
    public var localAddress: AuditAddress?
    public var remoteAddress: AuditAddress?
    public var keyingModule: KeyingModule
    /// The identifier the establishing event reported.
    public var saID: UInt64

    public init(localAddress: AuditAddress?, remoteAddress: AuditAddress?, keyingModule: KeyingModule, saID: UInt64) {
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.keyingModule = keyingModule
        self.saID = saID
    }

    var auditValues: [AuditValue] {
        [.address(localAddress), .address(remoteAddress), .parameter(keyingModule), .uint64(saID)]
    }
}
