import AuthIP
import AuthIPCrypto
import AuthIPWire
import Foundation

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
        switch source {
        case .v4(let address):
            let descriptor = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard descriptor >= 0 else { return -1 }
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = address.value.bigEndian
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if bound != 0 { close(descriptor) }
            return bound == 0 ? descriptor : -1
        case .v6(let address):
            let descriptor = Glibc.socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            guard descriptor >= 0 else { return -1 }
            var local = sockaddr_in6()
            local.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &local.sin6_addr) { $0.copyBytes(from: address.bytes) }
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
            if bound != 0 { close(descriptor) }
            return bound == 0 ? descriptor : -1
        }
    }

    private static func send(_ message: [UInt8], on socket: Int32, to destination: EndpointAddress) -> Bool {
        let result: Int
        switch destination.ip {
        case .v4(let address):
            var remote = sockaddr_in()
            remote.sin_family = sa_family_t(AF_INET)
            remote.sin_port = destination.port.bigEndian
            remote.sin_addr.s_addr = address.value.bigEndian
            result = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, message, message.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let address):
            var remote = sockaddr_in6()
            remote.sin6_family = sa_family_t(AF_INET6)
            remote.sin6_port = destination.port.bigEndian
            withUnsafeMutableBytes(of: &remote.sin6_addr) { $0.copyBytes(from: address.bytes) }
            result = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, message, message.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        return result == message.count
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
