/// The ISAKMP exchange type of an AuthIP message: AuthIP uses four private values.
public struct ExchangeType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Main Mode, and the first Quick Mode under a new MM SA (messages #1–#6).
    public static let mainMode = ExchangeType(rawValue: 243)
    /// Quick Mode: the QM synchronize exchange and every later QM on the same MM SA.
    public static let quickMode = ExchangeType(rawValue: 244)
    /// Extended Mode.
    public static let extendedMode = ExchangeType(rawValue: 245)
    /// Notify: status (delete), acquire, acknowledgement.
    public static let notify = ExchangeType(rawValue: 246)

    public static let all: [ExchangeType] = [.mainMode, .quickMode, .extendedMode, .notify]

    public var name: String? {
        switch self {
        case .mainMode: return "MM"
        case .quickMode: return "QM"
        case .extendedMode: return "EM"
        case .notify: return "Notify"
        default: return nil
        }
    }

    public var description: String { name.map { "\($0) (\(rawValue))" } ?? String(rawValue) }
}

/// The flags byte of the ISAKMP header. AuthIP uses only the encryption bit.
public struct HeaderFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// E: every payload is inside the Crypto payload, encrypted.
    public static let encrypted = HeaderFlags(rawValue: 0x01)
}
