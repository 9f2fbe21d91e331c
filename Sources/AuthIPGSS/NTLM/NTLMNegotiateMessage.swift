/// NEGOTIATE_MESSAGE (MS-NLMP §2.2.1.1), the initiator's first token. Its DomainName and
/// Workstation fields are not used: Windows leaves them empty, and so do we.
public struct NTLMNegotiateMessage: Hashable, Sendable {
    public var flags: NTLMNegotiateFlags
    public var version: NTLMVersion?

    public init(flags: NTLMNegotiateFlags, version: NTLMVersion?) {
        self.flags = flags
        self.version = version
    }

    /// Parses a NEGOTIATE_MESSAGE; SEC_E_INVALID_TOKEN when it is not one.
    public init(parsing bytes: [UInt8]) throws(GSSFailure) {
        let reader = try NTLMMessageReader(bytes, type: 1, name: "NEGOTIATE_MESSAGE", fixedLength: 32)
        flags = NTLMNegotiateFlags(rawValue: try reader.uint32(at: 12))
        let fields = [try reader.field(at: 16, "DomainName"), try reader.field(at: 24, "Workstation")]
        let fixedEnd = NTLMMessageReader.payloadStart(fields, messageLength: bytes.count)
        version = flags.contains(.version) && fixedEnd >= 40 ? NTLMVersion(try reader.bytes(at: 32, count: 8)) : nil
    }

    public func serialized() -> [UInt8] {
        var writer = NTLMMessageWriter(type: 1, fixedLength: 40)
        writer.append(flags.rawValue)
        writer.appendField([])
        writer.appendField([])
        writer.append(version?.serialized ?? [UInt8](repeating: 0, count: 8))
        return writer.finished()
    }
}
