/// Reads big-endian fields from a window of a byte array, reporting failures as `WireError`
/// with absolute offsets. Sub-readers share the array's storage; nothing is copied until a
/// field's bytes are taken out with `readBytes`, so parsing never allocates more than the
/// input's size.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int
    /// Added to `position` in reported offsets, for chains decrypted out of a larger message.
    let offsetBase: Int

    init(_ bytes: [UInt8], offsetBase: Int = 0) {
        self.bytes = bytes
        self.position = 0
        self.end = bytes.count
        self.offsetBase = offsetBase
    }

    private init(bytes: [UInt8], position: Int, end: Int, offsetBase: Int) {
        self.bytes = bytes
        self.position = position
        self.end = end
        self.offsetBase = offsetBase
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position == end }
    var offset: Int { offsetBase + position }

    func error(_ kind: WireError.Kind) -> WireError { WireError(kind, at: offset) }

    private func need(_ count: Int, _ field: String) throws(WireError) {
        guard count <= remaining else {
            throw error(.truncated(field: field, needed: count, available: remaining))
        }
    }

    mutating func readUInt8(_ field: String) throws(WireError) -> UInt8 {
        try need(1, field)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16(_ field: String) throws(WireError) -> UInt16 { try readInteger(field) }
    mutating func readUInt32(_ field: String) throws(WireError) -> UInt32 { try readInteger(field) }
    mutating func readUInt64(_ field: String) throws(WireError) -> UInt64 { try readInteger(field) }

    /// A big-endian unsigned integer of `T`'s width.
    private mutating func readInteger<T: FixedWidthInteger & UnsignedInteger>(_ field: String) throws(WireError) -> T {
        let size = T.bitWidth / 8
        try need(size, field)
        var value: T = 0
        for i in 0..<size { value = value << 8 | T(bytes[position + i]) }
        position += size
        return value
    }

    mutating func readBytes(_ count: Int, _ field: String) throws(WireError) -> [UInt8] {
        try need(count, field)
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func readRest() -> [UInt8] {
        defer { position = end }
        return Array(bytes[position..<end])
    }

    /// Splits off the next `count` bytes as a reader of their own.
    mutating func subReader(_ count: Int, _ field: String) throws(WireError) -> ByteReader {
        try need(count, field)
        defer { position += count }
        return ByteReader(bytes: bytes, position: position, end: position + count, offsetBase: offsetBase)
    }

    /// Fails with `trailingBytes` unless everything was read.
    func expectEnd(_ field: String) throws(WireError) {
        guard isAtEnd else { throw error(.trailingBytes(field: field, count: remaining)) }
    }
}
