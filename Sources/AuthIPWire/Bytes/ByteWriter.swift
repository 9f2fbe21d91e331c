/// Appends big-endian fields to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends a big-endian unsigned integer of `T`'s width.
    mutating func write<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        for shift in stride(from: T.bitWidth - 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    mutating func write(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    /// Writes a 16-bit length placeholder and returns its position for `patchLength`.
    mutating func reserveLength() -> Int {
        defer { write(UInt16(0)) }
        return bytes.count
    }

    /// Stores `bytes.count - start` at the placeholder `at`.
    mutating func patchLength(at position: Int, from start: Int) {
        let length = UInt16(truncatingIfNeeded: bytes.count - start)
        bytes[position] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[position + 1] = UInt8(truncatingIfNeeded: length)
    }
}
