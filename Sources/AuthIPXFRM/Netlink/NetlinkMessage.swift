import CXFRM

/// One netlink message: its header's type, flags and sequence number, and its payload (the
/// fixed structure of its type followed by attributes).
public struct NetlinkMessage: Sendable, Hashable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var payload: [UInt8]

    public init(type: UInt16, flags: UInt16 = 0, sequence: UInt32 = 0, payload: [UInt8] = []) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.payload = payload
    }

    /// The message as it goes on the socket: header, payload, padding to the next message.
    public var encoded: [UInt8] {
        let length = MemoryLayout<nlmsghdr>.size + payload.count
        var header = nlmsghdr(
            nlmsg_len: UInt32(length), nlmsg_type: type, nlmsg_flags: flags, nlmsg_seq: sequence, nlmsg_pid: 0)
        var bytes = NetlinkBytes.of(&header)
        bytes += payload
        bytes += [UInt8](repeating: 0, count: Int(cxfrm_nlmsg_align(UInt32(length))) - length)
        return bytes
    }

    /// The messages of one datagram read from a netlink socket. A header whose length runs
    /// past the datagram or is shorter than a header is malformed: the kernel never sends one.
    public static func parse(_ datagram: [UInt8]) throws(NetlinkError) -> [NetlinkMessage] {
        let headerSize = MemoryLayout<nlmsghdr>.size
        return try NetlinkBytes.records(in: datagram, from: 0, headerSize: headerSize, what: "a message") {
            Int((NetlinkBytes.read(datagram, at: $0) as nlmsghdr).nlmsg_len)
        }.map { record in
            let header: nlmsghdr = NetlinkBytes.read(datagram, at: record.lowerBound)
            return NetlinkMessage(
                type: header.nlmsg_type, flags: header.nlmsg_flags, sequence: header.nlmsg_seq,
                payload: Array(datagram[(record.lowerBound + headerSize)..<record.upperBound]))
        }
    }

    /// The attributes after the payload's fixed structure of `size` bytes.
    public func attributes(after size: Int) throws(NetlinkError) -> [NetlinkAttribute] {
        guard payload.count >= size else {
            throw .malformed("message type \(type): \(payload.count) bytes, its structure needs \(size)")
        }
        return try NetlinkAttribute.parse(payload, from: Int(cxfrm_nlmsg_align(UInt32(size))))
    }
}

/// One netlink attribute: its type and value.
public struct NetlinkAttribute: Sendable, Hashable {
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// An attribute whose value is a C structure followed by `trailing` bytes (a key).
    init<Value>(type: Int, _ value: Value, trailing: [UInt8] = []) {
        var value = value
        self.init(type: UInt16(type), value: NetlinkBytes.of(&value) + trailing)
    }

    /// The attribute with its header and padding.
    var encoded: [UInt8] {
        let length = MemoryLayout<nlattr>.size + value.count
        var header = nlattr(nla_len: UInt16(length), nla_type: type)
        return NetlinkBytes.of(&header) + value
            + [UInt8](repeating: 0, count: Int(cxfrm_nla_align(UInt32(length))) - length)
    }

    static func parse(_ bytes: [UInt8], from start: Int) throws(NetlinkError) -> [NetlinkAttribute] {
        let headerSize = MemoryLayout<nlattr>.size
        return try NetlinkBytes.records(in: bytes, from: start, headerSize: headerSize, what: "an attribute") {
            Int((NetlinkBytes.read(bytes, at: $0) as nlattr).nla_len)
        }.map { record in
            let header: nlattr = NetlinkBytes.read(bytes, at: record.lowerBound)
            // The two top bits of the type are flags (nested, network byte order).
            return NetlinkAttribute(
                type: header.nla_type & 0x3fff,
                value: Array(bytes[(record.lowerBound + headerSize)..<record.upperBound]))
        }
    }

    /// The value read as a C structure, or nil when it is too short for one.
    func read<Value>(_: Value.Type) -> Value? {
        guard value.count >= MemoryLayout<Value>.size else { return nil }
        return NetlinkBytes.read(value, at: 0) as Value
    }
}

/// A fixed structure and its attributes, the payload of an XFRM request.
struct NetlinkPayload {
    var bytes: [UInt8]

    init<Fixed>(_ fixed: Fixed) {
        var fixed = fixed
        bytes = NetlinkBytes.of(&fixed)
        bytes += [UInt8](repeating: 0, count: Int(cxfrm_nlmsg_align(UInt32(bytes.count))) - bytes.count)
    }

    mutating func append(_ attribute: NetlinkAttribute) { bytes += attribute.encoded }
}

/// Copies between C structures and bytes.
enum NetlinkBytes {
    /// The length-prefixed records (messages, attributes) from `start`, each padded to 4 bytes:
    /// their ranges, header included. A length shorter than the header or past the end is malformed.
    static func records(
        in bytes: [UInt8], from start: Int, headerSize: Int, what: String, length: (Int) -> Int
    ) throws(NetlinkError) -> [Range<Int>] {
        var records: [Range<Int>] = []
        var offset = start
        while bytes.count - offset >= headerSize {
            let recordLength = length(offset)
            guard recordLength >= headerSize, recordLength <= bytes.count - offset else {
                throw .malformed("\(what) of \(recordLength) bytes with \(bytes.count - offset) left")
            }
            records.append(offset..<(offset + recordLength))
            offset += Int(cxfrm_nla_align(UInt32(recordLength)))
        }
        return records
    }

    static func of<Value>(_ value: inout Value) -> [UInt8] {
        withUnsafeBytes(of: &value) { Array($0) }
    }

    /// Reads a structure at `offset`; the caller has checked that it fits.
    static func read<Value>(_ bytes: [UInt8], at offset: Int) -> Value {
        bytes.withUnsafeBytes { raw in raw.loadUnaligned(fromByteOffset: offset, as: Value.self) }
    }
}

/// What went wrong talking to the kernel.
public enum NetlinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The socket could not be made, bound, written or read (errno).
    case socket(String, errno: Int32)
    /// The kernel refused a request: the operation and what it concerned, and the errno.
    case refused(String, errno: Int32)
    /// A message that does not parse.
    case malformed(String)
    /// No answer within the time allowed.
    case timedOut(String)

    public var description: String {
        switch self {
        case .socket(let what, let code): return "netlink \(what): \(Errno.text(code))"
        case .refused(let what, let code): return "\(what): \(Errno.text(code))"
        case .malformed(let what): return "malformed netlink message: \(what)"
        case .timedOut(let what): return "\(what): no answer from the kernel"
        }
    }

    /// The errno of a refusal or socket failure.
    public var errno: Int32? {
        switch self {
        case .socket(_, let code), .refused(_, let code): return code
        case .malformed, .timedOut: return nil
        }
    }
}
