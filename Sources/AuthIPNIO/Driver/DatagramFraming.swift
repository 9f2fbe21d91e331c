import NIOCore

/// How an IKE message sits in a UDP payload on each of the two ports (RFC 3948 §2.2): as it is
/// on the IKE port; after the four zero bytes of the non-ESP marker on the NAT-T port, where a
/// payload without them is ESP and a one-byte payload is a NAT keepalive.
enum DatagramFraming: Sendable {
    case plain
    case nonESPMarker

    static let marker: [UInt8] = [0, 0, 0, 0]

    /// The IKE message a received payload holds, or nil when it holds none.
    func message(in payload: ByteBuffer) -> [UInt8]? {
        switch self {
        case .plain:
            return payload.getBytes(at: payload.readerIndex, length: payload.readableBytes)
        case .nonESPMarker:
            guard payload.readableBytes > Self.marker.count,
                payload.getBytes(at: payload.readerIndex, length: Self.marker.count) == Self.marker
            else { return nil }
            return payload.getBytes(
                at: payload.readerIndex + Self.marker.count, length: payload.readableBytes - Self.marker.count)
        }
    }

    /// The UDP payload that carries `message`.
    func payload(carrying message: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: message.count + Self.marker.count)
        if self == .nonESPMarker { buffer.writeBytes(Self.marker) }
        buffer.writeBytes(message)
        return buffer
    }
}
