/// Vendor ID (RFC 2408 §3.16): capabilities advertised in MM #1/#2.
public struct VendorIDPayload: OpaquePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.vendorID
    public var data: [UInt8]
    public init(data: [UInt8]) { self.data = data }

    public init(_ vendor: KnownVendor) { self.data = vendor.data }

    /// The vendor this ID names, when it is one of the IDs AuthIP peers send.
    public var knownVendor: KnownVendor? { KnownVendor(data: data) }
}

/// The Vendor IDs of MS-AIPS §2.2.3 (each the MD5 of a string; the Windows one adds a version).
public enum KnownVendor: Hashable, Sendable, CustomStringConvertible {
    /// "MS NT5 ISAKMPOAKLEY" + version: 5 Vista, 6 Vista SP1/2008, 7 Windows 7, 8 2008 R2,
    /// 9 Windows 8/2012 and later.
    case microsoftWindows(version: UInt32)
    case gssapi
    case mamieExists
    case initialContact
    case nlbsPresent
    case fragmentation
    case rfc3947
    case negotiationDiscovery
    case cgaVersion1

    static let windowsPrefix: [UInt8] = [
        0x1e, 0x2b, 0x51, 0x69, 0x05, 0x99, 0x1c, 0x7d, 0x7c, 0x96, 0xfc, 0xbf, 0xb5, 0x87, 0xe4, 0x61,
    ]
    static let fixed: [(KnownVendor, String, [UInt8])] = [
        (
            .gssapi, "GSSAPI",
            [0x62, 0x1b, 0x04, 0xbb, 0x09, 0x88, 0x2a, 0xc1, 0xe1, 0x59, 0x35, 0xfe, 0xfa, 0x24, 0xae, 0xee]
        ),
        (
            .mamieExists, "MS-MamieExists",
            [0x21, 0x4c, 0xa4, 0xfa, 0xff, 0xa7, 0xf3, 0x2d, 0x67, 0x48, 0xe5, 0x30, 0x33, 0x95, 0xae, 0x83]
        ),
        (
            .initialContact, "Vid-Initial-Contact",
            [0x26, 0x24, 0x4d, 0x38, 0xed, 0xdb, 0x61, 0xb3, 0x17, 0x2a, 0x36, 0xe3, 0xd0, 0xcf, 0xb8, 0x19]
        ),
        (
            .nlbsPresent, "NLBS_PRESENT",
            [0x72, 0x87, 0x2b, 0x95, 0xfc, 0xda, 0x2e, 0xb7, 0x08, 0xef, 0xe3, 0x22, 0x11, 0x9b, 0x49, 0x71]
        ),
        (
            .fragmentation, "FRAGMENTATION",
            [0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3]
        ),
        (
            .rfc3947, "RFC 3947",
            [0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f]
        ),
        (
            .negotiationDiscovery, "MS-Negotiation Discovery Capable",
            [0xfb, 0x1d, 0xe3, 0xcd, 0xf3, 0x41, 0xb7, 0xea, 0x16, 0xb7, 0xe5, 0xbe, 0x08, 0x55, 0xf1, 0x20]
        ),
        (
            .cgaVersion1, "IKE CGA version 1",
            [0xe3, 0xa5, 0x96, 0x6a, 0x76, 0x37, 0x9f, 0xe7, 0x07, 0x22, 0x82, 0x31, 0xe5, 0xce, 0x86, 0x52]
        ),
    ]

    /// The string whose MD5 the ID is.
    public var sourceString: String {
        if case .microsoftWindows = self { return "MS NT5 ISAKMPOAKLEY" }
        return Self.fixed.first { $0.0 == self }!.1
    }

    public init?(data: [UInt8]) {
        if data.count == 20, data.starts(with: Self.windowsPrefix) {
            self = .microsoftWindows(version: data[16...].reduce(0) { $0 << 8 | UInt32($1) })
            return
        }
        guard let match = Self.fixed.first(where: { $0.2 == data }) else { return nil }
        self = match.0
    }

    public var data: [UInt8] {
        switch self {
        case .microsoftWindows(let version):
            var w = ByteWriter()
            w.write(version)
            return Self.windowsPrefix + w.bytes
        default:
            return Self.fixed.first { $0.0 == self }!.2
        }
    }

    /// Whether the peer is a Windows version (Vista, 2008, 7) whose Crypto-payload ICV is
    /// always 12 bytes.
    public var forcesTwelveByteICV: Bool {
        if case .microsoftWindows(let version) = self { return (5...7).contains(version) }
        return false
    }

    public var description: String {
        switch self {
        case .microsoftWindows(let version): return "MS NT5 ISAKMPOAKLEY v\(version)"
        default: return sourceString
        }
    }
}
