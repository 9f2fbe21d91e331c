import AuthIPAccounts

/// CHALLENGE_MESSAGE (MS-NLMP §2.2.1.2), the acceptor's answer to NEGOTIATE: the negotiated
/// flags, the 8-byte server challenge and the target information.
public struct NTLMChallengeMessage: Hashable, Sendable {
    public var flags: NTLMNegotiateFlags
    public var targetName: String
    public var serverChallenge: [UInt8]
    /// Present when NTLMSSP_NEGOTIATE_TARGET_INFO is set.
    public var targetInfo: NTLMTargetInfo?
    public var version: NTLMVersion?

    public init(
        flags: NTLMNegotiateFlags, targetName: String, serverChallenge: [UInt8],
        targetInfo: NTLMTargetInfo?, version: NTLMVersion?
    ) {
        self.flags = flags
        self.targetName = targetName
        self.serverChallenge = serverChallenge
        self.targetInfo = targetInfo
        self.version = version
    }

    /// Parses a CHALLENGE_MESSAGE; SEC_E_INVALID_TOKEN when it is not a well-formed one.
    public init(parsing bytes: [UInt8]) throws(GSSFailure) {
        let reader = try NTLMMessageReader(bytes, type: 2, name: "CHALLENGE_MESSAGE", fixedLength: 48)
        flags = NTLMNegotiateFlags(rawValue: try reader.uint32(at: 20))
        let nameField = try reader.field(at: 12, "TargetName")
        targetName = try reader.text(nameField, unicode: flags.contains(.unicode), "TargetName")
        serverChallenge = try reader.bytes(at: 24, count: 8)
        let infoField = try reader.field(at: 40, "TargetInfo")
        targetInfo = flags.contains(.targetInfo) ? try NTLMTargetInfo(parsing: infoField.bytes) : nil
        let fixedEnd = NTLMMessageReader.payloadStart([nameField, infoField], messageLength: bytes.count)
        version = flags.contains(.version) && fixedEnd >= 56 ? NTLMVersion(try reader.bytes(at: 48, count: 8)) : nil
    }

    public func serialized() -> [UInt8] {
        var writer = NTLMMessageWriter(type: 2, fixedLength: 56)
        writer.appendField(
            flags.contains(.unicode) ? WindowsText.utf16LittleEndian(targetName) : NTLMText.oem(targetName))
        writer.append(flags.rawValue)
        writer.append(serverChallenge)
        writer.append([UInt8](repeating: 0, count: 8))
        writer.appendField(targetInfo?.serialized ?? [])
        writer.append(version?.serialized ?? [UInt8](repeating: 0, count: 8))
        return writer.finished()
    }
}
