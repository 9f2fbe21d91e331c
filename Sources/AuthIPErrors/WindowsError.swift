/// A Windows error as the Security log and the wire (NOTIFY_STATUS, the GSS payload's Status)
/// carry it: a Win32 code (the IKE errors 13800–13909) or an HRESULT (certificate and SSPI
/// failures), with its symbolic name and the text Windows prints. The values come from the
/// generated table (`Generated/WindowsErrorTable.swift`).
public struct WindowsError: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: UInt32
    public let name: String
    public let text: String

    init(code: UInt32, name: String, text: String) {
        self.code = code
        self.name = name
        self.text = text
    }

    /// The table's entry for `code`, if it has one.
    public init?(code: UInt32) {
        guard let known = WindowsError.table[code] else { return nil }
        self = known
    }

    /// The error a received code stands for: the table's entry for it, or for the Win32 code an
    /// HRESULT_FROM_WIN32 (`0x8007xxxx`) wraps. The one decoder of codes from the wire and the
    /// reference alike.
    public init?(decoding code: UInt32) {
        if let known = WindowsError(code: code) {
            self = known
        } else if code & 0xFFFF_0000 == 0x8007_0000, let wrapped = WindowsError(code: code & 0xFFFF) {
            self = wrapped
        } else {
            return nil
        }
    }

    /// `0x800B010C` for HRESULTs, the decimal number for Win32 codes (as Windows prints each).
    public var formattedCode: String {
        if code > 0xFFFF {
            let hex = String(code, radix: 16, uppercase: true)
            return "0x" + String(repeating: "0", count: 8 - hex.count) + hex
        }
        return String(code)
    }

    public var description: String { "\(formattedCode) \(name) \(text)" }
}
