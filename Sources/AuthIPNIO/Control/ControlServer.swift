import AuthIPControl
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's control socket: a Unix stream socket, mode 0600, in a directory no other user
/// may write to. Each connection sends request lines (`ControlRequest`) and gets one response
/// line each, in order; a line longer than `ControlRequest.maximumLineLength` is answered with
/// an error and the connection closed.
public final class ControlServer: Sendable {
    /// Where the daemon listens unless configured otherwise.
    public static let defaultPath = "/run/authip/control"

    /// Why the socket cannot be opened.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let path: String
    let channel: any Channel

    private init(path: String, channel: any Channel) {
        self.path = path
        self.channel = channel
    }

    /// Opens the socket at `path` for `service`. Refuses a directory other users may write to,
    /// a path that is not a socket, and a socket another daemon still answers on; a socket left
    /// by a daemon that died is replaced.
    public static func start(
        path: String, service: ControlService, group: any EventLoopGroup
    ) throws(Failure) -> ControlServer {
        let directory =
            (path as NSString).deletingLastPathComponent.isEmpty
            ? "." : (path as NSString).deletingLastPathComponent
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw Failure(description: "the control socket's directory \(directory) does not exist")
        }
        guard info.st_mode & (S_IWOTH | S_IWGRP) == 0 else {
            throw Failure(
                description:
                    "the control socket's directory \(directory) is writable by others: anyone could replace the socket"
            )
        }
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw Failure(description: "\(path) exists and is not a socket")
            }
            if ControlClient.answers(path) {
                throw Failure(description: "another daemon is listening on \(path)")
            }
            unlink(path)
        }
        let previous = umask(0o177)
        defer { umask(previous) }
        let channel: any Channel
        do {
            channel = try ServerBootstrap(group: group)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(ControlLineDecoder()))
                        try child.pipeline.syncOperations.addHandler(ControlConnectionHandler(service: service))
                    }
                }
                .bind(unixDomainSocketPath: path).wait()
        } catch {
            throw Failure(description: "cannot listen on \(path): \(error)")
        }
        guard chmod(path, 0o600) == 0 else {
            channel.close(promise: nil)
            throw Failure(description: "cannot make \(path) mode 0600")
        }
        return ControlServer(path: path, channel: channel)
    }

    /// Stops listening and removes the socket file.
    public func close() {
        try? channel.close().wait()
        unlink(path)
    }
}

/// Splits the byte stream into request lines; a line too long is an error.
struct ControlLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ControlLine

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > ControlRequest.maximumLineLength {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                context.fireChannelRead(wrapInboundOut(.tooLong))
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        let bytes = buffer.readBytes(length: length) ?? []
        buffer.moveReaderIndex(forwardBy: 1)
        var line = bytes
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard line.count <= ControlRequest.maximumLineLength else {
            context.fireChannelRead(wrapInboundOut(.tooLong))
            return .continue
        }
        context.fireChannelRead(wrapInboundOut(.line(String(decoding: line, as: UTF8.self))))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

enum ControlLine {
    case line(String)
    case tooLong
}

/// Answers a connection's lines one after another, in order.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ControlLine
    typealias OutboundOut = ByteBuffer

    let service: ControlService
    private var previous: EventLoopFuture<Void>?
    private var closing = false

    init(service: ControlService) {
        self.service = service
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound(context, eventLoop: loop)
        let answer: @Sendable () -> EventLoopFuture<String>
        switch unwrapInboundIn(data) {
        case .line(let line) where line.trimmingCharacters(in: .whitespaces).isEmpty:
            return
        case .line(let line):
            let service = self.service
            answer = { service.respond(to: line).hop(to: loop) }
        case .tooLong:
            closing = true
            answer = {
                loop.makeSucceededFuture(
                    ControlService.failure("the request is longer than \(ControlRequest.maximumLineLength) bytes"))
            }
        }
        let close = closing
        let start = previous ?? loop.makeSucceededVoidFuture()
        previous = start.flatMap { answer() }.flatMap { response -> EventLoopFuture<Void> in
            let context = bound.value
            var buffer = context.channel.allocator.buffer(capacity: response.utf8.count + 1)
            buffer.writeString(response + "\n")
            let written = context.writeAndFlush(NIOAny(buffer))
            return close ? written.flatMap { bound.value.close() } : written
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
