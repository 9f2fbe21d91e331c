/// NTLMv2_CLIENT_CHALLENGE (MS-NLMP §2.2.2.7), the "temp" of §3.3.2 that follows NTProofStr in
/// the NtChallengeResponse: the client's time and challenge and the AV pairs it signs.
public struct NTLMv2ClientChallenge: Hashable, Sendable {
    public var timestamp: FileTime
    public var challengeFromClient: [UInt8]
    public var avPairs: NTLMTargetInfo

    public init(timestamp: FileTime, challengeFromClient: [UInt8], avPairs: NTLMTargetInfo) {
        self.timestamp = timestamp
        self.challengeFromClient = challengeFromClient
        self.avPairs = avPairs
    }

    /// Parses the structure; SEC_E_INVALID_TOKEN when it is short, of another response
    /// version, or its AV pairs are malformed.
    public init(parsing bytes: [UInt8]) throws(GSSFailure) {
        guard bytes.count >= 28 else {
            throw GSSFailure(.secEInvalidToken, "the NTLMv2 client challenge is \(bytes.count) bytes")
        }
        guard bytes[0] == 1, bytes[1] == 1 else {
            throw GSSFailure(
                .secEInvalidToken, "the NTLMv2 client challenge has RespType \(bytes[0]), HiRespType \(bytes[1])")
        }
        timestamp = FileTime(rawValue: bytes[8..<16].reversed().reduce(0) { $0 << 8 | UInt64($1) })
        challengeFromClient = Array(bytes[16..<24])
        avPairs = try NTLMTargetInfo(parsing: Array(bytes[28...]))
    }

    /// ConcatenationOf(Responserversion, HiResponserversion, Z(6), Time, ClientChallenge, Z(4),
    /// ServerName, Z(4)) of §3.3.2.
    public var serialized: [UInt8] {
        [1, 1] + [UInt8](repeating: 0, count: 6)
            + (0..<8).map { UInt8(truncatingIfNeeded: timestamp.rawValue >> ($0 * 8)) }
            + challengeFromClient + [0, 0, 0, 0] + avPairs.serialized + [0, 0, 0, 0]
    }
}
