extension Unicode.Scalar {
    /// The scalar's simple lower-case form: identities compare without regard to case, as
    /// Windows compares principal names and PowerShell's `-like` compares text.
    var folded: Unicode.Scalar {
        if isASCII {
            return (0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value) | 0x20) : self
        }
        let mapping = properties.lowercaseMapping.unicodeScalars
        return mapping.count == 1 ? mapping.first! : self
    }
}

/// Case-insensitive equality and hashing of identities, without making a folded copy.
enum CaseInsensitive {
    static func equal(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lazy.map(\.folded).elementsEqual(b.unicodeScalars.lazy.map(\.folded))
    }

    static func hash(_ text: String) -> Int {
        var hasher = Hasher()
        for scalar in text.unicodeScalars { hasher.combine(scalar.folded.value) }
        return hasher.finalize()
    }
}
