/// The negotiated main mode protection suite and limits.
public struct MainModeSuite: Hashable, Sendable {
    public var cipher: CipherAlgorithm
    public var integrity: IntegrityAlgorithm
    public var diffieHellmanGroup: DiffieHellmanGroupParameter
    /// The main mode SA lifetime in minutes.
    public var lifetimeMinutes: UInt32
    /// How many quick modes the main mode SA may key.
    public var quickModeLimit: UInt32

    public init(
        cipher: CipherAlgorithm, integrity: IntegrityAlgorithm, diffieHellmanGroup: DiffieHellmanGroupParameter,
        lifetimeMinutes: UInt32, quickModeLimit: UInt32
    ) {
        self.cipher = cipher
        self.integrity = integrity
        self.diffieHellmanGroup = diffieHellmanGroup
        self.lifetimeMinutes = lifetimeMinutes
        self.quickModeLimit = quickModeLimit
    }

    /// MMCipherAlg, MMIntegrityAlg, DHGroup, MMLifetime, QMLimit.
    var auditValues: [AuditValue] {
        [
            .parameter(cipher), .parameter(integrity), .parameter(diffieHellmanGroup),
            .uint32(lifetimeMinutes), .uint32(quickModeLimit),
        ]
    }
}
