import AuthIPCrypto
import AuthIPSADatabase

/// The Main Mode proposals of a rule, in preference order, with the SA's limits.
public struct MainModeCryptoSet: Sendable, Hashable {
    public var proposals: [MainModeProposal]
    /// The MM SA lifetime.
    public var lifetimeSeconds: UInt32
    /// How many Quick Modes one MM SA may key; 0 means no limit.
    public var quickModeLimit: UInt32

    public init(proposals: [MainModeProposal], lifetimeSeconds: UInt32 = 28_800, quickModeLimit: UInt32 = 0) {
        self.proposals = proposals
        self.lifetimeSeconds = lifetimeSeconds
        self.quickModeLimit = quickModeLimit
    }

    /// AES-256/SHA-256, then AES-128/SHA-1; ECP-256 and group 14 when DH is needed; 8 hours.
    public static let windowsDefault = MainModeCryptoSet(proposals: [
        MainModeProposal(cipher: .aes256, hash: .sha256, group: .ecp256),
        MainModeProposal(cipher: .aes128, hash: .sha1, group: .modp2048),
    ])
}

/// One Main Mode proposal. The group is used only when the authentication method needs DH.
public struct MainModeProposal: Sendable, Hashable {
    public var cipher: BlockCipher
    public var hash: HashAlgorithm
    public var group: AuthIPCrypto.DiffieHellmanGroup

    public init(cipher: BlockCipher, hash: HashAlgorithm, group: AuthIPCrypto.DiffieHellmanGroup) {
        self.cipher = cipher
        self.hash = hash
        self.group = group
    }
}

/// The Quick Mode proposals of a rule, in preference order, with lifetimes and PFS.
public struct QuickModeCryptoSet: Sendable, Hashable {
    public var proposals: [QuickModeProposal]
    public var lifetimeSeconds: UInt32
    public var lifetimeKilobytes: UInt32
    /// The DH group of perfect forward secrecy, or nil for none.
    public var pfsGroup: AuthIPCrypto.DiffieHellmanGroup?

    public init(
        proposals: [QuickModeProposal], lifetimeSeconds: UInt32 = 3_600, lifetimeKilobytes: UInt32 = 100_000,
        pfsGroup: AuthIPCrypto.DiffieHellmanGroup? = nil
    ) {
        self.proposals = proposals
        self.lifetimeSeconds = lifetimeSeconds
        self.lifetimeKilobytes = lifetimeKilobytes
        self.pfsGroup = pfsGroup
    }

    /// ESP AES-GCM-256, then AES-256-CBC with SHA-256, then AES-128-CBC with SHA-1; 1 hour,
    /// 100,000 KB; no PFS.
    public static let windowsDefault = QuickModeCryptoSet(proposals: [
        QuickModeProposal(cipher: .aesGCM256, integrity: .none),
        QuickModeProposal(cipher: .aes256, integrity: .sha256),
        QuickModeProposal(cipher: .aes128, integrity: .sha1),
    ])
}

/// One ESP proposal.
public struct QuickModeProposal: Sendable, Hashable {
    public var cipher: ESPCipher
    public var integrity: ESPIntegrity

    public init(cipher: ESPCipher, integrity: ESPIntegrity) {
        self.cipher = cipher
        self.integrity = integrity
    }
}
