import AuthIPWire
import NIOCore

/// The handler of one bound socket: hands each IKE message that arrives to the driver, with
/// the socket's own address as the destination.
final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let local: EndpointAddress
    private let framing: DatagramFraming
    private let receive: DatagramSockets.Receive

    init(local: EndpointAddress, framing: DatagramFraming, receive: @escaping DatagramSockets.Receive) {
        self.local = local
        self.framing = framing
        self.receive = receive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let peer = EndpointAddress(envelope.remoteAddress), let message = framing.message(in: envelope.data)
        else { return }
        receive(message, peer, local)
    }
}

@available(*, unavailable)
extension DatagramHandler: Sendable {}
