import AuthIP
import AuthIPCrypto
import AuthIPSADatabase

/// A rule's `mainModeCrypto` member: `{"proposals": [{"cipher": "aes256", "hash": "sha256",
/// "group": "ecp256"}], "lifetimeSeconds": 28800, "quickModeLimit": 0}`; the last two are
/// optional, with the values of `MainModeCryptoSet.windowsDefault`.
struct MainModeCryptoConfiguration: Decodable {
    let cryptoSet: MainModeCryptoSet

    private enum CodingKeys: String, CodingKey { case proposals, lifetimeSeconds, quickModeLimit }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = MainModeCryptoSet.windowsDefault
        cryptoSet = MainModeCryptoSet(
            proposals: try container.decodeNonEmpty([Proposal].self, forKey: .proposals).map(\.proposal),
            lifetimeSeconds: try container.decodeIfPresent(UInt32.self, forKey: .lifetimeSeconds)
                ?? defaults.lifetimeSeconds,
            quickModeLimit: try container.decodeIfPresent(UInt32.self, forKey: .quickModeLimit)
                ?? defaults.quickModeLimit)
    }

    private struct Proposal: Decodable {
        let proposal: MainModeProposal

        private enum CodingKeys: String, CodingKey { case cipher, hash, group }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownMembers(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            proposal = MainModeProposal(
                cipher: try container.decodeCase(BlockCipher.self, forKey: .cipher),
                hash: try container.decodeCase(HashAlgorithm.self, forKey: .hash),
                group: try container.decodeCase(DiffieHellmanGroup.self, forKey: .group))
        }
    }
}

/// A rule's `quickModeCrypto` member: `{"proposals": [{"cipher": "aesGCM256", "integrity":
/// "none"}], "lifetimeSeconds": 3600, "lifetimeKilobytes": 100000, "pfsGroup": "ecp256"}`; all
/// but the proposals are optional, with the values of `QuickModeCryptoSet.windowsDefault` (no
/// `pfsGroup`: no PFS).
struct QuickModeCryptoConfiguration: Decodable {
    let cryptoSet: QuickModeCryptoSet

    private enum CodingKeys: String, CodingKey { case proposals, lifetimeSeconds, lifetimeKilobytes, pfsGroup }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = QuickModeCryptoSet.windowsDefault
        cryptoSet = QuickModeCryptoSet(
            proposals: try container.decodeNonEmpty([Proposal].self, forKey: .proposals).map(\.proposal),
            lifetimeSeconds: try container.decodeIfPresent(UInt32.self, forKey: .lifetimeSeconds)
                ?? defaults.lifetimeSeconds,
            lifetimeKilobytes: try container.decodeIfPresent(UInt32.self, forKey: .lifetimeKilobytes)
                ?? defaults.lifetimeKilobytes,
            pfsGroup: container.contains(.pfsGroup)
                ? try container.decodeCase(DiffieHellmanGroup.self, forKey: .pfsGroup) : nil)
    }

    private struct Proposal: Decodable {
        let proposal: QuickModeProposal

        private enum CodingKeys: String, CodingKey { case cipher, integrity }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownMembers(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            proposal = QuickModeProposal(
                cipher: try container.decodeCase(ESPCipher.self, forKey: .cipher),
                integrity: try container.decodeCase(ESPIntegrity.self, forKey: .integrity))
        }
    }
}

extension KeyedDecodingContainer {
    /// An enumeration case given by its name (`aes256`, `sha256`, `ecp256`, `aesGCM256`).
    func decodeCase<Choice: CaseIterable>(_ type: Choice.Type, forKey key: Key) throws -> Choice {
        let choices = Choice.allCases.map { ("\($0)", $0) }
        return try decode(key, as: "one of " + choices.map(\.0).joined(separator: ", ")) { name in
            choices.first { $0.0 == name }?.1
        }
    }
}
