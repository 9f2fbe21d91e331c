/// The VERSION structure (MS-NLMP §2.2.2.10): informational, sent when
/// NTLMSSP_NEGOTIATE_VERSION is negotiated.
public struct NTLMVersion: Hashable, Sendable {
    public var major: UInt8
    public var minor: UInt8
    public var build: UInt16
    /// NTLMRevisionCurrent; 15 (NTLMSSP_REVISION_W2K3) in every current Windows.
    public var ntlmRevision: UInt8

    public init(major: UInt8, minor: UInt8, build: UInt16, ntlmRevision: UInt8 = 15) {
        self.major = major
        self.minor = minor
        self.build = build
        self.ntlmRevision = ntlmRevision
    }

    /// What our contexts announce: the numbers of Windows Server 2022 (10.0 build 20348), the
    /// peers AuthIP talks to, since the field only ends up in their logs.
    public static let announced = NTLMVersion(major: 10, minor: 0, build: 20348)

    /// From the 8 bytes of the field (the reader has checked the length).
    init(_ b: [UInt8]) {
        self.init(major: b[0], minor: b[1], build: UInt16(b[2]) | UInt16(b[3]) << 8, ntlmRevision: b[7])
    }

    var serialized: [UInt8] {
        [major, minor, UInt8(truncatingIfNeeded: build), UInt8(truncatingIfNeeded: build >> 8), 0, 0, 0, ntlmRevision]
    }
}
