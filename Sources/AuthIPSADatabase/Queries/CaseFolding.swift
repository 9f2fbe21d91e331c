extension Unicode.Scalar {
    /// The scalar's simple lower-case form: identities compare without regard to case, as
    /// Windows compares principal names and PowerShell's `-like` compares text.
    var folded: Unicode.Scalar {
        if isASCII { return Unicode.Scalar(CaseInsensitive.fold(UInt8(value))) }
        let mapping = properties.lowercaseMapping.unicodeScalars
        return mapping.count == 1 ? mapping.first! : self
    }
}

/// Case-insensitive equality and hashing of identities, without making a folded copy. Both
/// take a fast path over the UTF-8 bytes of ASCII text, and agree with the scalar-by-scalar
/// path on all text.
enum CaseInsensitive {
    static func fold(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        let ascii = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in asciiEqual(x, y) } ?? nil
        }
        if let ascii = ascii ?? nil { return ascii }
        return a.unicodeScalars.lazy.map(\.folded).elementsEqual(b.unicodeScalars.lazy.map(\.folded))
    }

    static func hash(_ text: String) -> Int {
        var hasher = Hasher()
        let hashedAsASCII = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return false }
            combine(bytes.lazy.map { UInt32(fold($0)) }, into: &hasher)
            return true
        }
        if hashedAsASCII != true { combine(text.unicodeScalars.lazy.map(\.folded.value), into: &hasher) }
        return hasher.finalize()
    }

    /// Whether two byte strings are equal ignoring ASCII case; nil when that depends on
    /// non-ASCII bytes.
    private static func asciiEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        for (x, y) in zip(a, b) {
            if (x | y) >= 0x80 { return nil }
            // Everything before was ASCII, so these are the scalars at the same position.
            if fold(x) != fold(y) { return false }
        }
        let rest = a.count > b.count ? a[b.count...] : b[a.count...]
        return rest.allSatisfy { $0 < 0x80 } ? a.count == b.count : nil
    }

    /// Feeds folded scalar values to the hasher three to a word, then their count.
    private static func combine(_ values: some Sequence<UInt32>, into hasher: inout Hasher) {
        var word: UInt64 = 0
        var count = 0
        for value in values {
            word = word << 21 | UInt64(value)
            count += 1
            if count % 3 == 0 {
                hasher.combine(word)
                word = 0
            }
        }
        hasher.combine(word)
        hasher.combine(count)
    }
}
