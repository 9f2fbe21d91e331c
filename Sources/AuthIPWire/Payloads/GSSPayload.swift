/// GSS-API (0x81, MS-AIPS §2.2.3.1): one token of the authentication method in progress,
/// with the sender's status (0 or a Windows error code) and the GSS flags.
public struct GSSPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.gss

    public var status: UInt32
    public var flags: GSSFlags
    public var token: [UInt8]

    public init(token: [UInt8], flags: GSSFlags = [], status: UInt32 = 0) {
        self.status = status
        self.flags = flags
        self.token = token
    }

    init(body reader: inout ByteReader) throws(WireError) {
        status = try reader.readUInt32("GSS status")
        flags = GSSFlags(rawValue: try reader.readUInt8("GSS flags"))
        token = reader.readRest()
    }

    func writeBody(to writer: inout ByteWriter) {
        writer.write(status)
        writer.write(flags.rawValue)
        writer.write(token)
    }
}

/// The flags of a GSS-API payload. Unknown bits are kept as received.
public struct GSSFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Initiator: the first token of a new authentication exchange (a new method).
    public static let newExchange = GSSFlags(rawValue: 0x01)
    /// Initiator: the SPN is a user principal; the SA is marked "impersonation active".
    public static let impersonationActive = GSSFlags(rawValue: 0x02)
    /// Either side: retry the current method with another credential.
    public static let retryCurrentAuthentication = GSSFlags(rawValue: 0x04)
    /// Initiator: explicit (passed-in) credentials are in use.
    public static let explicitCredentials = GSSFlags(rawValue: 0x08)
    /// Responder: its side of the authentication has finished.
    public static let responderAuthComplete = GSSFlags(rawValue: 0x10)

    static let names: [(GSSFlags, String)] = [
        (.newExchange, "GSS_NEW_GSS_EXCHANGE"), (.impersonationActive, "GSS_IMPERSONATION_ACTIVE"),
        (.retryCurrentAuthentication, "GSS_RETRY_CURRENT_AUTHENTICATION"),
        (.explicitCredentials, "GSS_EXPLICIT_CREDENTIALS"), (.responderAuthComplete, "GSS_RESPONDER_AUTH_COMPLETE"),
    ]

    public var names: [String] { Self.names.filter { contains($0.0) }.map(\.1) }
}

/// GSS_ID (0x86, MS-AIPS §2.2.3.3): the endpoint's SPN, UTF-16LE without a terminator.
public struct GSSIdentityPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.gssIdentity
    public var principalName: String

    public init(principalName: String) { self.principalName = principalName }

    init(body reader: inout ByteReader) throws(WireError) {
        let start = reader.offset
        guard reader.remaining % 2 == 0 else {
            throw reader.error(.badLength(field: "GSS_ID", value: reader.remaining + 4))
        }
        let bytes = reader.readRest()
        let units = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        var name = ""
        var iterator = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): name.unicodeScalars.append(scalar)
            case .emptyInput: break loop
            case .error: throw WireError(.invalidValue(field: "GSS_ID", reason: "not UTF-16"), at: start)
            }
        }
        principalName = name
    }

    func writeBody(to writer: inout ByteWriter) {
        for unit in principalName.utf16 {
            writer.write(UInt8(truncatingIfNeeded: unit))
            writer.write(UInt8(truncatingIfNeeded: unit >> 8))
        }
    }
}

/// Auth (0x87, MS-AIPS §2.2.3.4): the authentication methods offered or accepted, in order.
public struct AuthPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.auth

    /// One offered method with its (ignored) flags.
    public struct Entry: Hashable, Sendable {
        public var method: AuthMethod
        /// Sent as 0, ignored on receipt; kept so that a message re-serializes unchanged.
        public var flags: UInt16

        public init(method: AuthMethod, flags: UInt16 = 0) {
            self.method = method
            self.flags = flags
        }
    }

    public var entries: [Entry]

    public init(methods: [AuthMethod]) { entries = methods.map { Entry(method: $0) } }

    public var methods: [AuthMethod] { entries.map(\.method) }

    init(body reader: inout ByteReader) throws(WireError) {
        guard reader.remaining % 4 == 0 else {
            throw reader.error(.badLength(field: "Auth", value: reader.remaining + 4))
        }
        entries = []
        while !reader.isAtEnd {
            let method = AuthMethod(rawValue: try reader.readUInt16("auth method"))
            entries.append(Entry(method: method, flags: try reader.readUInt16("auth flags")))
        }
    }

    func writeBody(to writer: inout ByteWriter) {
        for entry in entries {
            writer.write(entry.method.rawValue)
            writer.write(entry.flags)
        }
    }
}

/// An AuthIP authentication method number.
public struct AuthMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let kerberos = AuthMethod(rawValue: 0x0002)
    public static let anonymous = AuthMethod(rawValue: 0x0003)
    /// Certificates: a TLS handshake carried in GSS payloads.
    public static let tls = AuthMethod(rawValue: 0x0004)
    public static let ntlm = AuthMethod(rawValue: 0x0005)

    public var name: String {
        switch self {
        case .kerberos: return "Kerberos"
        case .anonymous: return "Anonymous"
        case .tls: return "TLS"
        case .ntlm: return "NTLM"
        default: return "Unknown(\(rawValue))"
        }
    }

    public var description: String { name }
}

/// Fragment (0x84, MS-IKEE §2.2.5): one piece of a message too large for one datagram. It
/// is the only payload of its message.
public struct FragmentPayload: WirePayload, Hashable, Sendable {
    public static let payloadType = PayloadType.fragment

    public var fragmentID: UInt16
    /// Starts at 1.
    public var number: UInt8
    public var isLast: Bool
    /// Flag bits other than LAST_FRAGMENT: ignored (MS-IKEE), kept for the round trip.
    public var otherFlags: UInt8
    public var data: [UInt8]

    public init(fragmentID: UInt16, number: UInt8, isLast: Bool, data: [UInt8], otherFlags: UInt8 = 0) {
        self.fragmentID = fragmentID
        self.number = number
        self.isLast = isLast
        self.otherFlags = otherFlags & ~0x01
        self.data = data
    }

    init(body reader: inout ByteReader) throws(WireError) {
        fragmentID = try reader.readUInt16("fragment ID")
        let numberOffset = reader.offset
        number = try reader.readUInt8("fragment number")
        guard number >= 1 else {
            throw WireError(.invalidValue(field: "fragment number", reason: "starts at 1"), at: numberOffset)
        }
        let flags = try reader.readUInt8("fragment flags")
        isLast = flags & 0x01 != 0
        otherFlags = flags & ~0x01
        data = reader.readRest()
    }

    func writeBody(to writer: inout ByteWriter) {
        writer.write(fragmentID)
        writer.write(number)
        writer.write(UInt8(isLast ? 1 : 0) | otherFlags)
        writer.write(data)
    }
}
