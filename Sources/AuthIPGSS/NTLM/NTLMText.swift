/// The string encodings NTLM uses besides `WindowsText`'s UTF-16LE (MS-NLMP §2.2 and §3.3:
/// "strings are encoded as RPC_UNICODE_STRING"): its decoding, and Latin-1 for the OEM fields
/// of peers that do not negotiate Unicode.
enum NTLMText {
    /// Decodes UTF-16LE, repairing unpaired surrogates; nil for an odd number of bytes.
    static func fromUTF16LittleEndian(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 2 == 0 else { return nil }
        let units = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return String(decoding: units, as: UTF16.self)
    }

    static func fromOEM(_ bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// Characters outside Latin-1 become '?', as an OEM code page would render them.
    static func oem(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { $0.value < 0x100 ? UInt8($0.value) : UInt8(ascii: "?") }
    }
}
