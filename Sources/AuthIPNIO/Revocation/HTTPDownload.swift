import AuthIPTrust
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 GET of a CRL on an event loop: name resolution, connection, request and
/// response all within one deadline; chunked and length-delimited bodies and bodies ended by
/// the connection's close; a size limit applied as the bytes arrive; redirects to other
/// `http://` URLs, a bounded number of times.
enum HTTPDownload {
    /// What one request gave.
    enum Answer {
        case body([UInt8])
        case redirect(String)
        case failed(String)
    }

    static func get(
        _ target: HTTPTarget, on loop: any EventLoop, deadline: NIODeadline, maximumSize: Int, redirects: Int
    ) -> EventLoopFuture<CRLDownload> {
        request(target, on: loop, deadline: deadline, maximumSize: maximumSize).flatMap { answer in
            switch answer {
            case .body(let bytes):
                return loop.makeSucceededFuture(.downloaded(bytes))
            case .failed(let reason):
                return loop.makeSucceededFuture(.failed(reason))
            case .redirect(let location):
                guard redirects > 0 else { return loop.makeSucceededFuture(.failed("too many redirects")) }
                guard let next = target.following(location) else {
                    return loop.makeSucceededFuture(.failed("redirected to an unsupported URL"))
                }
                return get(next, on: loop, deadline: deadline, maximumSize: maximumSize, redirects: redirects - 1)
            }
        }
    }

    private static func request(
        _ target: HTTPTarget, on loop: any EventLoop, deadline: NIODeadline, maximumSize: Int
    ) -> EventLoopFuture<Answer> {
        let promise = loop.makePromise(of: Answer.self)
        let remaining = deadline - .now()
        guard remaining > .zero else { return loop.makeSucceededFuture(.failed("timed out")) }
        let handler = NIOLoopBound(
            ResponseHandler(target: target, maximumSize: maximumSize, answer: promise), eventLoop: loop)
        // The deadline covers the name resolution too: NIO resolves inside the connect, and
        // whatever is still running when it passes is abandoned.
        let timeout = loop.scheduleTask(deadline: deadline) { handler.value.finish(.failed("timed out")) }
        ClientBootstrap(group: loop)
            .connectTimeout(remaining)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
            .connect(host: target.host, port: target.port)
            .whenFailure { error in handler.value.finish(.failed(Self.describe(connectError: error))) }
        return promise.futureResult.always { _ in timeout.cancel() }
    }

    private static func describe(connectError error: any Error) -> String {
        switch error {
        case is ChannelError: return "timed out connecting"
        case let refused as NIOConnectionError:
            if refused.dnsAAAAError != nil || refused.dnsAError != nil, refused.connectionErrors.isEmpty {
                return "cannot resolve \(refused.host)"
            }
            return refused.connectionErrors.first.map { "\($0.error)" } ?? "unreachable"
        default: return "\(error)"
        }
    }

    /// Sends the GET when connected and reads the answer; the first outcome wins and closes
    /// the connection.
    final class ResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart

        private let target: HTTPTarget
        private let maximumSize: Int
        private let answer: EventLoopPromise<Answer>
        private var context: ChannelHandlerContext?
        private var finished = false
        private var body: [UInt8] = []

        init(target: HTTPTarget, maximumSize: Int, answer: EventLoopPromise<Answer>) {
            self.target = target
            self.maximumSize = maximumSize
            self.answer = answer
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
        }

        func channelActive(context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: target.hostHeader)
            headers.add(name: "Accept", value: "*/*")
            headers.add(name: "User-Agent", value: "authip")
            headers.add(name: "Connection", value: "close")
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !finished else { return }
            switch unwrapInboundIn(data) {
            case .head(let head):
                let status = Int(head.status.code)
                if [301, 302, 303, 307, 308].contains(status) {
                    finish(head.headers.first(name: "Location").map(Answer.redirect) ?? .failed("HTTP \(status)"))
                } else if status != 200 {
                    finish(.failed("HTTP \(status)"))
                } else if let length = head.headers.first(name: "Content-Length").flatMap(Int.init),
                    length > maximumSize
                {
                    finish(.failed("larger than \(maximumSize) bytes"))
                }
            case .body(let buffer):
                guard body.count + buffer.readableBytes <= maximumSize else {
                    return finish(.failed("larger than \(maximumSize) bytes"))
                }
                body.append(contentsOf: buffer.readableBytesView)
            case .end:
                finish(.body(body))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failed(error is HTTPParserError ? "malformed HTTP response" : "\(error)"))
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failed("the connection closed before the response ended"))
        }

        /// Settles the answer once and closes the connection.
        func finish(_ outcome: Answer) {
            guard !finished else { return }
            finished = true
            body = []
            answer.succeed(outcome)
            // The context holds this handler: let go of it, or neither is ever freed.
            let context = self.context
            self.context = nil
            context?.close(promise: nil)
        }
    }
}
