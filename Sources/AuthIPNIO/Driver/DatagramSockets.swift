import AuthIP
import AuthIPWire
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The UDP sockets of a driver (a shard's, in a `ShardedDriver`): the IKE port and the NAT-T
/// port on each local address, bound on the driver's event loop. What arrives goes to
/// `receive` on that loop, without the NAT-T port's non-ESP marker (ESP there is dropped);
/// `send` may be called from any loop. The set never changes once bound.
final class DatagramSockets: Sendable {
    /// A datagram, the peer it came from and the local address and port it came to.
    typealias Receive = @Sendable ([UInt8], EndpointAddress, EndpointAddress) -> Void

    let channels: [EndpointAddress: any Channel]
    let natTraversalPort: UInt16

    private init(channels: [EndpointAddress: any Channel], natTraversalPort: UInt16) {
        self.channels = channels
        self.natTraversalPort = natTraversalPort
    }

    /// Binds every address of `locals`; fails with `EndpointDriverError.bindFailed`, and binds
    /// nothing, when one of them cannot be bound. `natTraversalOptions` are set on the NAT-T
    /// sockets before they bind. A shard's sockets join the `SO_REUSEPORT` group of each
    /// address and port (the sockets are made before this returns, so shards that bind in
    /// turn are the group's members in their order); the first shard's carry the program that
    /// steers each datagram to its shard's socket.
    static func bind(
        _ locals: [EndpointAddress], natTraversalPort: UInt16, on eventLoop: any EventLoop,
        natTraversalOptions: [SocketOptionSetting], shard: EndpointShard? = nil, receive: @escaping Receive
    ) -> EventLoopFuture<DatagramSockets> {
        let binds = locals.map { local in
            let framing: DatagramFraming = local.port == natTraversalPort ? .nonESPMarker : .plain
            let options = framing == .nonESPMarker ? natTraversalOptions : []
            guard let shard else {
                return bind(local, framing: framing, on: eventLoop, options: options, receive: receive).map {
                    (local, $0)
                }
            }
            let descriptor: CInt
            do {
                descriptor = try ShardSteering.socket(
                    bound: local, options: options, steering: shard.index == 0 ? (shard, framing) : nil)
            } catch {
                return eventLoop.makeFailedFuture(EndpointDriverError.bindFailed(local, reason: "\(error)"))
            }
            return adopt(descriptor, local: local, framing: framing, on: eventLoop, receive: receive).map {
                (local, $0)
            }
        }
        return EventLoopFuture.whenAllComplete(binds, on: eventLoop).flatMapThrowing { results in
            var channels: [EndpointAddress: any Channel] = [:]
            var failure: (any Error)?
            for result in results {
                switch result {
                case .success(let (local, channel)): channels[local] = channel
                case .failure(let error): failure = failure ?? error
                }
            }
            if let failure {
                for channel in channels.values { channel.close(promise: nil) }
                throw failure
            }
            return DatagramSockets(channels: channels, natTraversalPort: natTraversalPort)
        }
    }

    /// A socket bound elsewhere, run on `eventLoop`; closed if NIO cannot take it.
    private static func adopt(
        _ descriptor: CInt, local: EndpointAddress, framing: DatagramFraming, on eventLoop: any EventLoop,
        receive: @escaping Receive
    ) -> EventLoopFuture<any Channel> {
        DatagramBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DatagramHandler(local: local, framing: framing, receive: receive))
                }
            }
            .withBoundSocket(descriptor)
            .flatMapErrorThrowing { error in
                Glibc.close(descriptor)
                throw EndpointDriverError.bindFailed(local, reason: "\(error)")
            }
    }

    private static func bind(
        _ local: EndpointAddress, framing: DatagramFraming, on eventLoop: any EventLoop,
        options: [SocketOptionSetting], receive: @escaping Receive
    ) -> EventLoopFuture<any Channel> {
        let address: SocketAddress
        do {
            address = try SocketAddress(local)
        } catch {
            return eventLoop.makeFailedFuture(EndpointDriverError.bindFailed(local, reason: "\(error)"))
        }
        // NIO leaves a channel whose bind failed registered and open, its handler with it: the
        // channel is kept here to be closed then.
        let created = NIOLoopBoundBox<(any Channel)?>.makeEmptyBox(valueType: (any Channel).self, eventLoop: eventLoop)
        return DatagramBootstrap(group: eventLoop)
            // IKE messages with certificate chains exceed NIO's default of 2048 bytes.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                created.value = channel
                return channel.eventLoop.makeCompletedFuture {
                    for option in options {
                        try channel.syncOptions?.setOption(
                            ChannelOptions.Types.SocketOption(
                                level: SocketOptionLevel(option.level), name: SocketOptionName(option.name)),
                            value: Int(option.value))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        DatagramHandler(local: local, framing: framing, receive: receive))
                }
            }
            .bind(to: address)
            .flatMapErrorThrowing { error in
                created.value?.close(promise: nil)
                throw EndpointDriverError.bindFailed(local, reason: "\(error)")
            }
    }

    /// Writes a datagram from the socket bound to `local`.
    func send(
        _ message: [UInt8], from local: EndpointAddress, to peer: EndpointAddress
    ) -> Result<EventLoopFuture<Void>, EndpointDriverError> {
        guard let channel = channels[local] else { return .failure(.noSocket(local)) }
        let remote: SocketAddress
        do {
            remote = try SocketAddress(peer)
        } catch {
            return .failure(.sendFailed(reason: "\(error)"))
        }
        let framing: DatagramFraming = local.port == natTraversalPort ? .nonESPMarker : .plain
        let payload = framing.payload(carrying: message, allocator: channel.allocator)
        return .success(channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: payload)))
    }

    /// Closes every socket.
    func close(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        EventLoopFuture.andAllComplete(channels.values.map { $0.close() }, on: eventLoop)
    }
}
