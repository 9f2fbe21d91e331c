/// Text as Windows compares and hashes account names and passwords.
public enum WindowsText {
    /// UTF-16LE, the encoding of Windows' Unicode strings (NTLM's fields, the NT hash's input).
    public static func utf16LittleEndian(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf16.count * 2)
        for unit in text.utf16 {
            bytes.append(UInt8(truncatingIfNeeded: unit))
            bytes.append(UInt8(truncatingIfNeeded: unit >> 8))
        }
        return bytes
    }

    /// Upper case as Windows computes it (RtlUpcaseUnicodeString): character by character,
    /// keeping characters whose upper case is more than one character (ß stays ß), so that
    /// NTOWFv2's Uppercase(User) and directory look-ups agree with Windows.
    public static func uppercased(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let upper = scalar.properties.uppercaseMapping.unicodeScalars
            scalars.append(upper.count == 1 ? upper.first! : scalar)
        }
        return String(scalars)
    }
}
