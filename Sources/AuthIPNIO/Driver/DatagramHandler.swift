import AuthIPWire
import NIOCore

/// The handler of one bound socket: hands each IKE message that arrives to the driver, with
/// the socket's own address as the destination.
final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let local: EndpointAddress
    private let framing: DatagramFraming
    private let driver: EndpointDriver

    init(local: EndpointAddress, framing: DatagramFraming, driver: EndpointDriver) {
        self.local = local
        self.framing = framing
        self.driver = driver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let peer = EndpointAddress(envelope.remoteAddress), let message = framing.message(in: envelope.data)
        else { return }
        driver.received(message, from: peer, to: local)
    }
}

@available(*, unavailable)
extension DatagramHandler: Sendable {}
