import AuthIPAccounts

/// AUTHENTICATE_MESSAGE (MS-NLMP §2.2.1.3), the initiator's last token: who it is, its
/// responses to the server challenge, the encrypted exported session key and the MIC.
public struct NTLMAuthenticateMessage: Hashable, Sendable {
    public var flags: NTLMNegotiateFlags
    public var lmChallengeResponse: [UInt8]
    public var ntChallengeResponse: [UInt8]
    public var domainName: String
    public var userName: String
    public var workstation: String
    public var encryptedRandomSessionKey: [UInt8]
    public var version: NTLMVersion?
    /// The MIC field, when the message has one (its fixed part reaches byte 88).
    public var mic: [UInt8]?

    /// Where the MIC sits in the message.
    public static let micRange = 72..<88

    public init(
        flags: NTLMNegotiateFlags, lmChallengeResponse: [UInt8], ntChallengeResponse: [UInt8],
        domainName: String, userName: String, workstation: String,
        encryptedRandomSessionKey: [UInt8], version: NTLMVersion?, mic: [UInt8]?
    ) {
        self.flags = flags
        self.lmChallengeResponse = lmChallengeResponse
        self.ntChallengeResponse = ntChallengeResponse
        self.domainName = domainName
        self.userName = userName
        self.workstation = workstation
        self.encryptedRandomSessionKey = encryptedRandomSessionKey
        self.version = version
        self.mic = mic
    }

    /// Parses an AUTHENTICATE_MESSAGE; SEC_E_INVALID_TOKEN when it is not a well-formed one.
    public init(parsing bytes: [UInt8]) throws(GSSFailure) {
        let reader = try NTLMMessageReader(bytes, type: 3, name: "AUTHENTICATE_MESSAGE", fixedLength: 64)
        flags = NTLMNegotiateFlags(rawValue: try reader.uint32(at: 60))
        let unicode = flags.contains(.unicode)
        let lm = try reader.field(at: 12, "LmChallengeResponse")
        let nt = try reader.field(at: 20, "NtChallengeResponse")
        let domain = try reader.field(at: 28, "DomainName")
        let user = try reader.field(at: 36, "UserName")
        let workstationField = try reader.field(at: 44, "Workstation")
        let key = try reader.field(at: 52, "EncryptedRandomSessionKey")
        lmChallengeResponse = lm.bytes
        ntChallengeResponse = nt.bytes
        domainName = try reader.text(domain, unicode: unicode, "DomainName")
        userName = try reader.text(user, unicode: unicode, "UserName")
        workstation = try reader.text(workstationField, unicode: unicode, "Workstation")
        encryptedRandomSessionKey = key.bytes
        let fixedEnd = NTLMMessageReader.payloadStart(
            [lm, nt, domain, user, workstationField, key], messageLength: bytes.count)
        version = flags.contains(.version) && fixedEnd >= 72 ? NTLMVersion(try reader.bytes(at: 64, count: 8)) : nil
        mic = fixedEnd >= Self.micRange.upperBound ? try reader.bytes(at: Self.micRange.lowerBound, count: 16) : nil
    }

    /// The message with an 88-byte fixed part (Version and MIC always there, as Windows lays it
    /// out); a nil MIC is written as zeros, the form the MIC is computed over.
    public func serialized() -> [UInt8] {
        let unicode = flags.contains(.unicode)
        let text: (String) -> [UInt8] = { unicode ? WindowsText.utf16LittleEndian($0) : NTLMText.oem($0) }
        var writer = NTLMMessageWriter(type: 3, fixedLength: Self.micRange.upperBound)
        // Windows' payload order: the names, then the responses, then the key.
        writer.appendFields(
            [
                lmChallengeResponse, ntChallengeResponse, text(domainName), text(userName),
                text(workstation), encryptedRandomSessionKey,
            ], payloadOrder: [2, 3, 4, 0, 1, 5])
        writer.append(flags.rawValue)
        writer.append(version?.serialized ?? [UInt8](repeating: 0, count: 8))
        writer.append(mic ?? [UInt8](repeating: 0, count: 16))
        return writer.finished()
    }
}
