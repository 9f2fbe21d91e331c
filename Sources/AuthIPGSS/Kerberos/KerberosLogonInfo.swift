/// The PAC's logon information (MS-PAC 2.5 KERB_VALIDATION_INFO), as MIT Kerberos hands it
/// out (`urn:mspac:logon-info`): the account and every group the domain controller put in the
/// ticket, nested groups resolved, so group checks need no directory round trip. Only the
/// SIDs are decoded.
public struct KerberosLogonInfo: Hashable, Sendable {
    /// The account's domain SID (`S-1-5-21-…`).
    public var domainSID: String
    public var userRID: UInt32
    /// The account's SID, then each group's: the domain's groups, the extra SIDs and the
    /// resource groups.
    public var sids: [String]

    /// Parses an NDR type-serialized (version 1) KERB_VALIDATION_INFO.
    public init(ndr bytes: [UInt8]) throws(PACError) {
        var reader = NDRReader(bytes)
        // Common header (version 1, little-endian, 8 bytes), private header, top-level pointer.
        guard try reader.byte() == 1, try reader.byte() == 0x10 else {
            throw PACError("PAC logon info: not NDR version 1 little-endian")
        }
        try reader.skip(6 + 8 + 4)
        try reader.skip(6 * 8)  // logon, logoff, kick-off, password times
        var strings: [UInt32] = []
        for _ in 0..<6 { strings.append(try reader.unicodeStringPointer()) }
        try reader.skip(4)  // logon and bad-password counts
        userRID = try reader.uint32()
        try reader.skip(4)  // primary group
        _ = try reader.uint32()  // group count, repeated in the array
        let groupIDs = try reader.uint32()
        try reader.skip(4 + 16)  // user flags, session key
        var serverAndDomain: [UInt32] = []
        for _ in 0..<2 { serverAndDomain.append(try reader.unicodeStringPointer()) }
        let domainID = try reader.uint32()
        // Reserved, UAC, sub-auth status, last logons, failed count, reserved.
        try reader.skip(8 + 4 + 4 + 8 + 8 + 4 + 4)
        _ = try reader.uint32()  // extra SID count
        let extraSIDs = try reader.uint32()
        let resourceDomain = try reader.uint32()
        _ = try reader.uint32()  // resource group count
        let resourceGroups = try reader.uint32()
        // The deferred referents, in the order of their pointers.
        for pointer in strings where pointer != 0 { try reader.skipConformantVaryingString() }
        let rids = groupIDs != 0 ? try reader.groupMemberships() : []
        for pointer in serverAndDomain where pointer != 0 { try reader.skipConformantVaryingString() }
        guard domainID != 0 else { throw PACError("PAC logon info: no domain SID") }
        let domain = try reader.sid()
        domainSID = domain
        var extra: [String] = []
        if extraSIDs != 0 {
            let count = try reader.uint32()
            guard count <= 0x10000 else { throw PACError("PAC logon info: \(count) extra SIDs") }
            var pointers: [UInt32] = []
            for _ in 0..<count {
                pointers.append(try reader.uint32())
                try reader.skip(4)  // attributes
            }
            for pointer in pointers where pointer != 0 { extra.append(try reader.sid()) }
        }
        var resources: [String] = []
        if resourceDomain != 0 {
            let resourceSID = try reader.sid()
            if resourceGroups != 0 { resources = try reader.groupMemberships().map { "\(resourceSID)-\($0)" } }
        }
        let user = userRID
        sids = ["\(domain)-\(user)"] + rids.map { "\(domain)-\($0)" } + extra + resources
    }
}

/// Why a PAC buffer could not be decoded.
public struct PACError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Little-endian NDR with 4-byte alignment, as the PAC uses it.
private struct NDRReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skip(_ count: Int) throws(PACError) {
        guard count >= 0, offset + count <= bytes.count else { throw PACError("PAC logon info: truncated") }
        offset += count
    }

    mutating func byte() throws(PACError) -> UInt8 {
        try skip(1)
        return bytes[offset - 1]
    }

    mutating func uint32() throws(PACError) -> UInt32 {
        try align()
        try skip(4)
        return (0..<4).reduce(0) { $0 | UInt32(bytes[offset - 4 + $1]) << (8 * $1) }
    }

    mutating func align() throws(PACError) { try skip((4 - offset % 4) % 4) }

    /// An RPC_UNICODE_STRING: lengths, then the buffer's pointer (returned).
    mutating func unicodeStringPointer() throws(PACError) -> UInt32 {
        try skip(4)
        return try uint32()
    }

    mutating func skipConformantVaryingString() throws(PACError) {
        _ = try uint32()  // maximum count
        _ = try uint32()  // offset
        let count = try uint32()
        guard count <= 0x10000 else { throw PACError("PAC logon info: string of \(count) characters") }
        try skip(Int(count) * 2)
        try align()
    }

    /// A conformant array of GROUP_MEMBERSHIP: the relative IDs.
    mutating func groupMemberships() throws(PACError) -> [UInt32] {
        let count = try uint32()
        guard count <= 0x10000 else { throw PACError("PAC logon info: \(count) groups") }
        var rids: [UInt32] = []
        for _ in 0..<count {
            rids.append(try uint32())
            _ = try uint32()  // attributes
        }
        return rids
    }

    /// An RPC_SID in its conformant form: `S-1-5-21-…`.
    mutating func sid() throws(PACError) -> String {
        let count = try uint32()
        guard try byte() == 1, try byte() == UInt8(truncatingIfNeeded: count), count <= 15 else {
            throw PACError("PAC logon info: malformed SID")
        }
        var authority: UInt64 = 0
        for _ in 0..<6 { authority = authority << 8 | UInt64(try byte()) }
        var text = "S-1-\(authority)"
        for _ in 0..<count { text += "-\(try uint32())" }
        return text
    }
}
