/// An IPv4 address, held in network order as a 32-bit number.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text (`131.107.0.2`).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        self.value = value
    }

    public var bytes: [UInt8] {
        [
            UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
            UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value),
        ]
    }

    public init(bytes: [UInt8]) {
        value = bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    public var description: String { bytes.map(String.init).joined(separator: ".") }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// An IPv6 address, held as two 64-bit halves in network order.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(bytes: [UInt8]) {
        high = bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes.dropFirst(8).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    public var bytes: [UInt8] {
        (0..<16).map { i in
            let half = i < 8 ? high : low
            return UInt8(truncatingIfNeeded: half >> UInt64(56 - 8 * (i % 8)))
        }
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { i in
            let half = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (i % 4)))
        }
    }

    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has eight groups")
        high = groups[0..<4].reduce(0) { $0 << 16 | UInt64($1) }
        low = groups[4..<8].reduce(0) { $0 << 16 | UInt64($1) }
    }

    /// Parses RFC 4291 text: groups, `::` and a trailing dotted quad (`::5efe:10.0.0.1`).
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, text.allSatisfy(\.isASCII) else { return nil }
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ part: String, allowQuad: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var groups: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if i == fields.count - 1, allowQuad, field.contains(".") {
                    guard let v4 = IPv4Address(field) else { return nil }
                    groups.append(UInt16(truncatingIfNeeded: v4.value >> 16))
                    groups.append(UInt16(truncatingIfNeeded: v4.value))
                } else {
                    guard (1...4).contains(field.count), let group = UInt16(field, radix: 16) else { return nil }
                    groups.append(group)
                }
            }
            return groups
        }
        if halves.count == 1 {
            guard let groups = parseGroups(halves[0], allowQuad: true), groups.count == 8 else { return nil }
            self.init(groups: groups)
        } else {
            guard let head = parseGroups(halves[0], allowQuad: false),
                let tail = parseGroups(halves[1], allowQuad: true),
                head.count + tail.count <= 7
            else { return nil }
            self.init(groups: head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail)
        }
    }

    /// RFC 5952 text: lower case, leading zeros dropped, the longest run of two or more zero
    /// groups (the first, on a tie) written as `::`.
    public var description: String {
        let groups = self.groups
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength, i - runStart >= 2 { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        func render(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return render(0..<8) }
        return render(0..<bestStart) + "::" + render((bestStart + bestLength)..<8)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either textual form.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): return a.bytes
        case .v6(let a): return a.bytes
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }
}

private extension String {
    /// Splits at every `::`, the one separator `split` cannot express.
    func components(separatedByDoubleColon: ()) -> [String] {
        var parts: [String] = []
        var current = ""
        var previousColon = false
        for c in self {
            if c == ":", previousColon {
                current.removeLast()
                parts.append(current)
                current = ""
                previousColon = false
                continue
            }
            current.append(c)
            previousColon = c == ":"
        }
        parts.append(current)
        return parts
    }
}
