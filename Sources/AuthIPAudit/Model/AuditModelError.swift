/// Input the audit model cannot represent.
public enum AuditModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The code is neither an IKE Win32 error nor an HRESULT of the reference table.
    case unknownFailureCode(UInt32)
    /// The computer name is empty, longer than 255 characters, or holds characters other than
    /// printable ASCII without spaces.
    case invalidComputerName(String)
    /// An address was neither 4 nor 16 bytes long.
    case invalidAddressLength(Int)
    /// A certificate thumbprint was not the 20 bytes of a SHA-1 hash.
    case invalidThumbprintLength(Int)
    /// Every record ID up to UInt64.max has been used.
    case recordIDsExhausted

    public var description: String {
        switch self {
        case .unknownFailureCode(let code):
            return "failure code \(code) (0x\(String(code, radix: 16, uppercase: true))) is not in the reference table"
        case .invalidComputerName(let name):
            return "computer name \"\(name)\" is not 1-255 printable ASCII characters without spaces"
        case .invalidAddressLength(let count):
            return "an address is 4 or 16 bytes, not \(count)"
        case .invalidThumbprintLength(let count):
            return "a certificate thumbprint is 20 bytes (SHA-1), not \(count)"
        case .recordIDsExhausted:
            return "no event record IDs are left"
        }
    }
}
