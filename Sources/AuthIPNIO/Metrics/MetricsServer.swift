import AuthIP
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Prometheus endpoint: `GET /metrics` on the configured address answers with the text
/// exposition, the gauges read from the endpoint at that moment; `GET /health` answers 200
/// `ok`, or 503 `draining` while the node is drained (a load balancer's health check); every
/// other request gets 404 (or 405 for another method). Requests are small and answered one at
/// a time per connection.
final class MetricsServer: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Listens on `address` for `metrics` of `driver`.
    static func start(
        address: SocketAddress, metrics: DaemonMetrics, driver: ShardedDriver, group: any EventLoopGroup
    ) throws -> MetricsServer {
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try child.pipeline.syncOperations.addHandler(MetricsHandler(metrics: metrics, driver: driver))
                }
            }
            .bind(to: address).wait()
        return MetricsServer(channel: channel)
    }

    /// The address it listens on (with the port the kernel chose for port 0).
    var localAddress: SocketAddress? { channel.localAddress }

    func close() {
        try? channel.close().wait()
    }
}

private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let metrics: DaemonMetrics
    let driver: ShardedDriver
    private var request: HTTPRequestHead?

    init(metrics: DaemonMetrics, driver: ShardedDriver) {
        self.metrics = metrics
        self.driver = driver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard path == "/metrics" || path == "/health" else {
            return write(.notFound, "not found\n", head: head, context: context)
        }
        guard head.method == .GET || head.method == .HEAD else {
            return write(.methodNotAllowed, "GET \(path)\n", head: head, context: context)
        }
        if path == "/health" {
            let draining = driver.isDraining
            return write(
                draining ? .serviceUnavailable : .ok, draining ? "draining\n" : "ok\n", head: head, context: context)
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let metrics = self.metrics
        driver.inspect { endpoint in DaemonMetrics.gauges(of: endpoint) }
            .map(DaemonMetrics.merged)
            .hop(to: context.eventLoop)
            .whenComplete { result in
                let (handler, context) = bound.value
                if case .success(let gauges) = result { metrics.set(gauges) }
                handler.write(.ok, metrics.exposition(), head: head, context: context)
            }
    }

    private func write(
        _ status: HTTPResponseStatus, _ body: String, head: HTTPRequestHead, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4" : "text/plain")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
