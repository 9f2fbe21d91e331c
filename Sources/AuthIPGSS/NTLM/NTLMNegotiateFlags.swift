/// NEGOTIATE flags (MS-NLMP §2.2.2.5), as the three messages carry them.
public struct NTLMNegotiateFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let unicode = NTLMNegotiateFlags(rawValue: 0x0000_0001)
    public static let oem = NTLMNegotiateFlags(rawValue: 0x0000_0002)
    public static let requestTarget = NTLMNegotiateFlags(rawValue: 0x0000_0004)
    public static let sign = NTLMNegotiateFlags(rawValue: 0x0000_0010)
    public static let seal = NTLMNegotiateFlags(rawValue: 0x0000_0020)
    public static let datagram = NTLMNegotiateFlags(rawValue: 0x0000_0040)
    public static let lmKey = NTLMNegotiateFlags(rawValue: 0x0000_0080)
    public static let ntlm = NTLMNegotiateFlags(rawValue: 0x0000_0200)
    public static let anonymous = NTLMNegotiateFlags(rawValue: 0x0000_0800)
    public static let oemDomainSupplied = NTLMNegotiateFlags(rawValue: 0x0000_1000)
    public static let oemWorkstationSupplied = NTLMNegotiateFlags(rawValue: 0x0000_2000)
    public static let alwaysSign = NTLMNegotiateFlags(rawValue: 0x0000_8000)
    public static let targetTypeDomain = NTLMNegotiateFlags(rawValue: 0x0001_0000)
    public static let targetTypeServer = NTLMNegotiateFlags(rawValue: 0x0002_0000)
    public static let extendedSessionSecurity = NTLMNegotiateFlags(rawValue: 0x0008_0000)
    public static let identify = NTLMNegotiateFlags(rawValue: 0x0010_0000)
    public static let requestNonNTSessionKey = NTLMNegotiateFlags(rawValue: 0x0040_0000)
    public static let targetInfo = NTLMNegotiateFlags(rawValue: 0x0080_0000)
    public static let version = NTLMNegotiateFlags(rawValue: 0x0200_0000)
    public static let key128 = NTLMNegotiateFlags(rawValue: 0x2000_0000)
    public static let keyExchange = NTLMNegotiateFlags(rawValue: 0x4000_0000)
    public static let key56 = NTLMNegotiateFlags(rawValue: 0x8000_0000)

    /// Whether the exported session key is a random key sent under RC4 (KEY_EXCH with SIGN or
    /// SEAL, the server's rule of MS-NLMP §3.2.5.1.2, which both our sides follow) rather
    /// than the key-exchange key itself.
    var exchangesKey: Bool {
        contains(.keyExchange) && !isDisjoint(with: [.sign, .seal])
    }
}
