/// A pattern with the semantics of PowerShell's `-like`: `*` matches any run of characters,
/// `?` exactly one, `[abc]` and `[a-z]` one from a set, and a backtick makes the next
/// character literal. Matching is case-insensitive and covers the whole text, so
/// `*client1*` matches `CORP\CLIENT1$` and `CN=client1.corp.contoso.com`.
public struct WildcardPattern: Hashable, Sendable, CustomStringConvertible {
    private enum Element: Hashable, Sendable {
        /// A literal scalar, case-folded.
        case scalar(Unicode.Scalar)
        case anyScalar
        case anySequence
        /// Case-folded ranges of scalar values.
        case set([ClosedRange<UInt32>])

        func matches(_ scalar: Unicode.Scalar) -> Bool {
            switch self {
            case .scalar(let literal): return scalar.folded == literal
            case .anyScalar: return true
            case .anySequence: return false
            case .set(let ranges):
                let value = scalar.folded.value
                return ranges.contains { $0.contains(value) }
            }
        }
    }

    /// The pattern as written.
    public let pattern: String
    /// The one text the pattern matches (up to case) when it has no wildcards, else nil.
    public let literal: String?
    private let elements: [Element]
    /// For `*text*` with ASCII text (the usual query), that text folded: matching is then a
    /// substring search.
    private let asciiInfix: [UInt8]?
    /// The runs of literal ASCII characters between wildcards, folded: text the pattern
    /// matches holds each of them (the identity index looks them up).
    let asciiRuns: [[UInt8]]

    /// Parses a pattern; nil when a `[` set is unterminated, empty or holds a reversed range
    /// (PowerShell rejects these as invalid wildcard patterns).
    public init?(_ pattern: String) {
        let scalars = Array(pattern.unicodeScalars)
        var elements: [Element] = []
        var literal = String.UnicodeScalarView()
        var isLiteral = true
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            i += 1
            switch c {
            case "`" where i < scalars.count:
                elements.append(.scalar(scalars[i].folded))
                literal.append(scalars[i])
                i += 1
            case "*":
                isLiteral = false
                if elements.last != .anySequence { elements.append(.anySequence) }
            case "?":
                isLiteral = false
                elements.append(.anyScalar)
            case "[":
                isLiteral = false
                guard let (ranges, end) = Self.parseSet(scalars, from: i) else { return nil }
                elements.append(.set(ranges))
                i = end
            default:
                elements.append(.scalar(c.folded))
                literal.append(c)
            }
        }
        self.pattern = pattern
        self.literal = isLiteral ? String(literal) : nil
        self.elements = elements
        var infix: [UInt8]? = nil
        if elements.count >= 3, elements.first == .anySequence, elements.last == .anySequence {
            infix = []
            for element in elements.dropFirst().dropLast() {
                guard case .scalar(let scalar) = element, scalar.isASCII else { infix = nil; break }
                infix?.append(UInt8(scalar.value))
            }
        }
        asciiInfix = infix
        var runs: [[UInt8]] = [[]]
        for element in elements {
            if case .scalar(let scalar) = element, scalar.isASCII {
                runs[runs.count - 1].append(UInt8(scalar.value))
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        asciiRuns = runs.filter { !$0.isEmpty }
    }

    /// Parses the members of a set that opened just before `start`; returns its ranges and
    /// the index after its `]`.
    private static func parseSet(_ scalars: [Unicode.Scalar], from start: Int) -> ([ClosedRange<UInt32>], Int)? {
        var members: [(scalar: Unicode.Scalar, escaped: Bool)] = []
        var i = start
        while i < scalars.count, scalars[i] != "]" {
            if scalars[i] == "`", i + 1 < scalars.count {
                members.append((scalars[i + 1], true))
                i += 2
            } else {
                members.append((scalars[i], false))
                i += 1
            }
        }
        guard i < scalars.count, !members.isEmpty else { return nil }
        var ranges: [ClosedRange<UInt32>] = []
        var m = 0
        while m < members.count {
            let low = members[m].scalar.folded.value
            if m + 2 < members.count, !members[m + 1].escaped, members[m + 1].scalar == "-" {
                let high = members[m + 2].scalar.folded.value
                guard low <= high else { return nil }
                ranges.append(low...high)
                m += 3
            } else {
                ranges.append(low...low)
                m += 1
            }
        }
        return (ranges, i + 1)
    }

    /// Whether the whole of `text` matches, ignoring case.
    public func matches(_ text: String) -> Bool {
        // Identities are nearly always ASCII: match their bytes without decoding UTF-8.
        let ascii = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            if let asciiInfix { return Self.contains(asciiInfix, in: bytes) }
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return matches(bytes) { Unicode.Scalar($0) }
        }
        return (ascii ?? nil) ?? matches(text.unicodeScalars) { $0 }
    }

    /// Whether folded ASCII `needle` occurs in `text`, ignoring case; nil when `text` is not
    /// ASCII (a non-ASCII letter may fold to an ASCII one), in one pass.
    private static func contains(_ needle: [UInt8], in text: UnsafeBufferPointer<UInt8>) -> Bool? {
        var found = false
        let last = text.count - needle.count
        for start in text.indices {
            let byte = text[start]
            guard byte < 0x80 else { return nil }
            guard !found, start <= last, CaseInsensitive.fold(byte) == needle[0] else { continue }
            var offset = 1
            while offset < needle.count, CaseInsensitive.fold(text[start + offset]) == needle[offset] { offset += 1 }
            found = offset == needle.count
        }
        return found
    }

    private func matches<Text: Collection>(_ text: Text, _ scalar: (Text.Element) -> Unicode.Scalar) -> Bool {
        var s = text.startIndex
        var e = 0
        // Where the last `*` was seen, and the text position it is currently made to end at:
        // on a mismatch the star takes one more character and matching resumes after it.
        var star: (element: Int, text: Text.Index)?
        while s != text.endIndex {
            if e < elements.count, case .anySequence = elements[e] {
                star = (e, s)
                e += 1
            } else if e < elements.count, elements[e].matches(scalar(text[s])) {
                e += 1
                s = text.index(after: s)
            } else if let (starElement, starText) = star {
                let next = text.index(after: starText)
                star = (starElement, next)
                e = starElement + 1
                s = next
            } else {
                return false
            }
        }
        while e < elements.count, case .anySequence = elements[e] { e += 1 }
        return e == elements.count
    }

    public var description: String { pattern }
}
