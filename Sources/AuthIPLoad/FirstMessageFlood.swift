import AuthIP
import AuthIPCrypto
import AuthIPNIO
import AuthIPWire
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A flood of Main Mode #1s, as an attacker sends them: a real first message of the template's
/// client, each copy with a random initiator cookie (so each is a new negotiation for the
/// responder, and they spread over its shards), from many source addresses, none of which
/// answers. Sent with plain sockets from one thread at a steady pace.
public struct FirstMessageFlood: Sendable {
    /// The first message and where it goes.
    public let message: [UInt8]
    public let destination: EndpointAddress
    public var datagrams: Int
    public var sources: [IPAddress]
    /// Datagrams a second.
    public var rate: Double = 20_000

    /// A flood of `datagrams` copies of `message` to `destination` from `sources`.
    public init(message: [UInt8], destination: EndpointAddress, datagrams: Int, sources: [IPAddress]) {
        self.message = message
        self.destination = destination
        self.datagrams = datagrams
        self.sources = sources
    }

    /// A flood of `datagrams` copies of client `number`'s first message from `sources`.
    public init(template: LoadTemplate, number: Int = 1, datagrams: Int, sources: [IPAddress]) throws(LoadError) {
        let driverConfiguration = try template.configuration(of: number)
        let configuration: EndpointConfiguration
        do {
            configuration = try driverConfiguration.endpointConfiguration()
        } catch {
            throw .client(number, "\(error)")
        }
        guard let traffic = driverConfiguration.acquire.first else { throw .template("no traffic to acquire") }
        var endpoint = Endpoint(configuration: configuration, random: SystemRandomSource(), now: Date())
        let first = endpoint.handle(.acquire(traffic), now: Date()).lazy.compactMap {
            output -> ([UInt8], EndpointAddress)? in
            if case let .send(bytes, _, to) = output { (bytes, to) } else { nil }
        }.first
        guard let (message, destination) = first, !sources.isEmpty else {
            throw .template("the template's client sends no first message")
        }
        self.init(message: message, destination: destination, datagrams: datagrams, sources: sources)
    }

    /// Sends the flood; returns how many datagrams the kernel took. Each source sends from a
    /// socket of its own, bound to it.
    public func run() -> Int {
        var random = SystemRandomSource()
        var sent = 0
        let perSource = max(1, (datagrams + sources.count - 1) / sources.count)
        let started = ContinuousClock.now
        var message = self.message
        guard let destination = try? SocketAddress(destination) else { return 0 }
        for source in sources where sent < datagrams {
            let socket = Self.socket(bound: source)
            guard socket >= 0 else { continue }
            defer { close(socket) }
            for _ in 0..<min(perSource, datagrams - sent) {
                let cookie = random.next()
                withUnsafeBytes(of: cookie.bigEndian) { bytes in
                    for index in 0..<8 { message[index] = bytes[index] }
                }
                if Self.send(message, on: socket, to: destination) { sent += 1 }
                // Keep to the rate: sleep when ahead of it.
                let due = Duration.seconds(Double(sent) / rate)
                let elapsed = ContinuousClock.now - started
                if due > elapsed + .milliseconds(2) { Thread.sleep(forTimeInterval: (due - elapsed).seconds) }
            }
        }
        return sent
    }

    private static func socket(bound source: IPAddress) -> Int32 {
        guard let address = try? SocketAddress(EndpointAddress(source, port: 0)) else { return -1 }
        let descriptor = Glibc.socket(address.protocol.rawValue, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        guard address.withSockAddr({ bind(descriptor, $0, socklen_t($1)) }) == 0 else {
            close(descriptor)
            return -1
        }
        return descriptor
    }

    private static func send(_ message: [UInt8], on socket: Int32, to destination: SocketAddress) -> Bool {
        destination.withSockAddr { sendto(socket, message, message.count, 0, $0, socklen_t($1)) } == message.count
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
