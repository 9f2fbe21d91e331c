import AuthIPAccounts

/// A list of AV_PAIRs (MS-NLMP §2.2.2.1): the TargetInfo of a CHALLENGE_MESSAGE and the
/// AvPairs of an NTLMv2 client challenge. Pairs keep their order; MsvAvEOL is implied.
public struct NTLMTargetInfo: Hashable, Sendable {
    /// An AvId.
    public struct ID: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let eol = ID(rawValue: 0)
        public static let nbComputerName = ID(rawValue: 1)
        public static let nbDomainName = ID(rawValue: 2)
        public static let dnsComputerName = ID(rawValue: 3)
        public static let dnsDomainName = ID(rawValue: 4)
        public static let dnsTreeName = ID(rawValue: 5)
        public static let flags = ID(rawValue: 6)
        public static let timestamp = ID(rawValue: 7)
        public static let singleHost = ID(rawValue: 8)
        public static let targetName = ID(rawValue: 9)
        public static let channelBindings = ID(rawValue: 10)
    }

    /// One AV_PAIR: its ID and value.
    public struct Pair: Hashable, Sendable {
        public var id: ID
        public var value: [UInt8]
        public init(id: ID, value: [UInt8]) {
            self.id = id
            self.value = value
        }
    }

    /// MsvAvFlags bit 0x2: the AUTHENTICATE_MESSAGE carries a MIC.
    public static let micProvided: UInt32 = 0x0000_0002

    public private(set) var pairs: [Pair]

    public init(_ pairs: [Pair] = []) { self.pairs = pairs.filter { $0.id != .eol } }

    /// Parses pairs up to MsvAvEOL; bytes after it are left alone (the NTLMv2 client challenge
    /// follows its pairs with Reserved4). Throws SEC_E_INVALID_TOKEN for a pair that runs past
    /// the end, a missing MsvAvEOL, or an MsvAvFlags or MsvAvTimestamp of the wrong size.
    public init(parsing bytes: [UInt8]) throws(GSSFailure) {
        var pairs: [Pair] = []
        var offset = 0
        while true {
            guard bytes.count - offset >= 4 else {
                throw GSSFailure(.secEInvalidToken, "the NTLM AV_PAIR list ends without MsvAvEOL")
            }
            let id = ID(rawValue: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
            let length = Int(UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8)
            offset += 4
            if id == .eol { break }
            guard length <= bytes.count - offset else {
                throw GSSFailure(
                    .secEInvalidToken, "the NTLM AV_PAIR \(id.rawValue) of \(length) bytes runs past the list")
            }
            let expected: Int? = id == .flags ? 4 : id == .timestamp ? 8 : nil
            if let expected, length != expected {
                throw GSSFailure(
                    .secEInvalidToken, "the NTLM AV_PAIR \(id.rawValue) is \(length) bytes, not \(expected)")
            }
            pairs.append(Pair(id: id, value: Array(bytes[offset..<offset + length])))
            offset += length
        }
        self.pairs = pairs
    }

    /// The pairs followed by MsvAvEOL.
    public var serialized: [UInt8] {
        var bytes: [UInt8] = []
        for pair in pairs + [Pair(id: .eol, value: [])] {
            let length = UInt16(truncatingIfNeeded: pair.value.count)
            bytes += [
                UInt8(truncatingIfNeeded: pair.id.rawValue), UInt8(truncatingIfNeeded: pair.id.rawValue >> 8),
                UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8),
            ]
            bytes += pair.value
        }
        return bytes
    }

    /// The value of the first pair with `id`.
    public subscript(id: ID) -> [UInt8]? {
        pairs.first { $0.id == id }?.value
    }

    /// Sets the first pair with `id`, or appends one.
    public mutating func set(_ id: ID, _ value: [UInt8]) {
        if let index = pairs.firstIndex(where: { $0.id == id }) {
            pairs[index].value = value
        } else {
            pairs.append(Pair(id: id, value: value))
        }
    }

    /// A name pair (Unicode), as Windows fills in MsvAvNb*/MsvAvDns*.
    public func name(_ id: ID) -> String? {
        self[id].flatMap(NTLMText.fromUTF16LittleEndian)
    }

    public mutating func setName(_ id: ID, _ name: String) {
        set(id, WindowsText.utf16LittleEndian(name))
    }

    /// MsvAvTimestamp.
    public var timestamp: FileTime? {
        get { self[.timestamp].map { FileTime(rawValue: $0.reversed().reduce(0) { $0 << 8 | UInt64($1) }) } }
        set {
            guard let newValue else { return pairs.removeAll { $0.id == .timestamp } }
            set(.timestamp, (0..<8).map { UInt8(truncatingIfNeeded: newValue.rawValue >> ($0 * 8)) })
        }
    }

    /// MsvAvFlags (0 when absent).
    public var flags: UInt32 {
        get { self[.flags].map { $0.reversed().reduce(0) { $0 << 8 | UInt32($1) } } ?? 0 }
        set { set(.flags, (0..<4).map { UInt8(truncatingIfNeeded: newValue >> ($0 * 8)) }) }
    }
}
