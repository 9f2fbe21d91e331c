import AuthIP
import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPJSON
import AuthIPTrust
import AuthIPWire
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Runs one `AuthIP.Endpoint` on UDP sockets with SwiftNIO: binds the IKE port and the NAT-T
/// port of the endpoint's settings on each local address, feeds it the datagrams that arrive
/// (without the non-ESP marker of the NAT-T port; ESP there is dropped), sends what it asks from
/// the socket of the address and port it names, keeps one timer for its latest `wakeUp(at:)`,
/// downloads CRLs on a thread pool of their own (so slow distribution points cannot hold up
/// directory calls), and hands SAs and audit events to a delegate.
///
/// The endpoint is not thread-safe, so everything happens on one event loop; `submit(_:)`,
/// `start()` and `shutdown()` may be called from any thread. The clock is `Date()` unless
/// another is given.
///
/// ```swift
/// let driver = EndpointDriver(configuration: configuration, localAddresses: [address], delegate: dataPlane)
/// try driver.start().wait()
/// driver.submit(.acquire(TrafficRequest(source: address, destination: peer)))
/// …
/// try driver.shutdown().wait()
/// ```
public final class EndpointDriver: Sendable {
    /// The loop every endpoint call and delegate call runs on.
    public let eventLoop: any EventLoop
    /// The addresses the sockets are bound to, each at both ports.
    public let localAddresses: [IPAddress]
    let ports: (ike: UInt16, natTraversal: UInt16)
    let delegate: any EndpointDriverDelegate
    let crlDownloader: CRLDownloader
    let directory: (any RemoteAccountDirectory)?
    let domainController: (any NTLMDomainController)?
    let threadPool: NIOThreadPool
    let crlThreadPool: NIOThreadPool

    let clock: @Sendable () -> Date
    let recorder: NegotiationRecorder?
    let natTraversalSocketOptions: [SocketOptionSetting]
    let sharesAnswer: (@Sendable (EndpointInput) -> Void)?
    /// Which of a `ShardedDriver`'s endpoints this driver runs (`.whole` alone).
    public let shard: EndpointShard
    let bindsNATTraversalPort: Bool
    /// Diagnostics: datagrams (debug, with the cookies, exchange and message ID), SAs
    /// installed and removed (info), downloads and directory calls (debug; failures warning).
    let logger: Logger
    let state: NIOLoopBoundBox<DriverState>

    /// A driver for a new endpoint; nothing is bound before `start()`.
    /// - Parameters:
    ///   - configuration: the endpoint's policy; its settings give the two ports.
    ///   - localAddresses: the addresses to bind, and so the only ones the endpoint may send from.
    ///   - eventLoopGroup: the group whose next loop the driver runs on.
    ///   - delegate: the data plane and the audit log.
    ///   - random: every cookie, nonce, SPI, IV and DH key of the endpoint.
    ///   - crlDownloader: downloads CRLs for strong revocation checking; each download is also
    ///     limited by the deadline the endpoint gives.
    ///   - directory: answers the endpoint's account look-ups (`EndpointConfiguration.remoteDirectory`);
    ///     without one they go unanswered and time out.
    ///   - domainController: checks NTLM responses for an acceptor set up with
    ///     `NTLMVerifier.domainController`.
    ///   - threadPool: where the blocking directory look-ups and domain-controller checks run.
    ///   - crlThreadPool: where the CRL caches are written.
    ///   - clock: the time the endpoint is told and its wake-ups are measured against; a test
    ///     may shift it into the validity of its credentials.
    ///   - recorder: keeps every input and output for a replayable vector; made before the
    ///     driver, since the endpoint draws random bytes as it is made.
    ///   - logger: where diagnostics go; none by default.
    ///   - natTraversalSocketOptions: set on each NAT traversal (4500) socket before it binds;
    ///     a kernel data plane takes ESP-in-UDP this way (`UDP_ENCAP`).
    ///   - bindsNATTraversalPort: whether to bind the NAT-T port too; a client that is never
    ///     behind a NAT (`authip load`'s) may leave it out and use one socket an address.
    public convenience init(
        configuration: EndpointConfiguration, localAddresses: [IPAddress],
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        delegate: any EndpointDriverDelegate, random: sending some RandomSource = SystemRandomSource(),
        crlDownloader: CRLDownloader = CRLDownloader(pool: EndpointDriver.crlDownloadPool),
        directory: (any RemoteAccountDirectory)? = nil,
        domainController: (any NTLMDomainController)? = nil,
        threadPool: NIOThreadPool = .singleton, crlThreadPool: NIOThreadPool = EndpointDriver.crlDownloadPool,
        clock: @escaping @Sendable () -> Date = Date.init, recorder: NegotiationRecorder? = nil,
        logger: Logger = .silent, natTraversalSocketOptions: [SocketOptionSetting] = [],
        bindsNATTraversalPort: Bool = true
    ) {
        self.init(
            configuration: configuration, localAddresses: localAddresses, eventLoop: eventLoopGroup.next(),
            delegate: delegate, random: random, crlDownloader: crlDownloader, directory: directory,
            domainController: domainController, threadPool: threadPool, crlThreadPool: crlThreadPool, clock: clock,
            recorder: recorder, logger: logger, natTraversalSocketOptions: natTraversalSocketOptions, shard: .whole,
            sharesAnswer: nil, bindsNATTraversalPort: bindsNATTraversalPort)
    }

    /// The designated initialiser; `sharesAnswer` hands the directory's answers to a sharded
    /// driver's other shards.
    init(
        configuration: EndpointConfiguration, localAddresses: [IPAddress], eventLoop: any EventLoop,
        delegate: any EndpointDriverDelegate, random: sending some RandomSource, crlDownloader: CRLDownloader,
        directory: (any RemoteAccountDirectory)?, domainController: (any NTLMDomainController)?,
        threadPool: NIOThreadPool, crlThreadPool: NIOThreadPool, clock: @escaping @Sendable () -> Date,
        recorder: NegotiationRecorder?, logger: Logger, natTraversalSocketOptions: [SocketOptionSetting],
        shard: EndpointShard, sharesAnswer: (@Sendable (EndpointInput) -> Void)?, bindsNATTraversalPort: Bool = true
    ) {
        self.bindsNATTraversalPort = bindsNATTraversalPort
        self.eventLoop = eventLoop
        self.localAddresses = localAddresses
        ports = (configuration.settings.port, configuration.settings.natTraversalPort)
        self.delegate = delegate
        self.crlDownloader = crlDownloader
        self.directory = directory
        self.domainController = domainController
        self.threadPool = threadPool
        self.crlThreadPool = crlThreadPool
        self.clock = clock
        self.recorder = recorder
        self.logger = logger
        self.natTraversalSocketOptions = natTraversalSocketOptions
        self.sharesAnswer = sharesAnswer
        self.shard = shard
        let now = clock()
        recorder?.started(at: now)
        let endpoint = Endpoint(configuration: configuration, random: random, now: now, shard: shard)
        state = .makeBoxSendingValue(
            DriverState(endpoint: endpoint, crlCaches: Self.crlCaches(of: configuration)), eventLoop: eventLoop)
    }

    /// The process's pool for LDAP CRL reads and CRL cache writes: two threads, started on first use, never shut down.
    public static let crlDownloadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    /// The local addresses and ports the sockets are bound to once started.
    public var boundAddresses: [EndpointAddress] {
        localAddresses.flatMap {
            [EndpointAddress($0, port: ports.ike)]
                + (bindsNATTraversalPort ? [EndpointAddress($0, port: ports.natTraversal)] : [])
        }
    }

    /// Binds the sockets. Fails with `EndpointDriverError.bindFailed` (and binds nothing) when
    /// one of them cannot be bound, and with `alreadyStarted` on a second call.
    public func start() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { self.bindSockets() }
    }

    /// Hands the endpoint an input on its loop. The future fails with
    /// `EndpointDriverError.notRunning` before `start()` has completed and after `shutdown()`.
    /// `.shutdown` is the same as calling `shutdown()`.
    @discardableResult
    public func submit(_ input: EndpointInput) -> EventLoopFuture<Void> {
        if case .shutdown = input { return shutdown() }
        return eventLoop.submit {
            guard self.state.value.sockets != nil else { throw EndpointDriverError.notRunning }
            self.handle(input)
        }
    }

    /// Runs `body` with the endpoint on its loop, to read its tables (the control socket's
    /// `sa list`, `status`). Fails with `EndpointDriverError.notRunning` unless running.
    public func inspect<Result: Sendable>(
        _ body: @escaping @Sendable (borrowing Endpoint) -> Result
    ) -> EventLoopFuture<Result> {
        eventLoop.submit {
            guard self.state.value.sockets != nil else { throw EndpointDriverError.notRunning }
            return body(self.state.value.endpoint)
        }
    }

    /// `authip status`'s figures: the endpoint's tables and modes, the Main Modes that ended
    /// per second over the last minute, and how CRL downloads and directory calls have gone.
    func status() -> EventLoopFuture<JSONValue> {
        eventLoop.submit {
            guard self.state.value.sockets != nil else { throw EndpointDriverError.notRunning }
            let state = self.state.value
            return .object(
                Self.figures(of: state.endpoint) + [
                    ("crlDownloadsInFlight", .number(state.crlDownloadsInFlight)),
                    ("directoryCallsInFlight", .number(state.directoryCallsInFlight)),
                    ("datagramsHandedOn", .number(state.datagramsHandedOn)),
                    ("draining", .bool(state.refusesNewNegotiations)),
                    ("firstMessagesDroppedDraining", .number(state.firstMessagesDropped)),
                ] + state.health.json(at: self.clock()))
        }
    }

    /// Drops (true) or takes again (false) the first messages of new negotiations: a drained
    /// node lets its peers' retransmissions go unanswered, so they go to another node, while
    /// the negotiations under way finish.
    func refuseNewNegotiations(_ refuses: Bool) -> EventLoopFuture<Void> {
        eventLoop.submit { self.state.value.refusesNewNegotiations = refuses }
    }

    /// Whether a datagram opens a negotiation: an ISAKMP header whose responder cookie is still zero.
    static func startsNegotiation(_ message: [UInt8]) -> Bool {
        message.count >= 28 && message[8..<16].allSatisfy { $0 == 0 }
    }

    private static func figures(of endpoint: borrowing Endpoint) -> [(String, JSONValue)] {
        [
            ("mainModeSAs", .number(endpoint.database.mainModeCount)),
            ("quickModeSAs", .number(endpoint.database.quickModeCount)),
            ("sessions", .number(endpoint.sessionCount)),
            ("negotiationsInProgress", .number(endpoint.negotiationsInProgress)),
            ("denialOfServiceMode", .bool(endpoint.isInDenialOfServiceMode)),
            ("rateLimitedTLSStarts", .number(endpoint.rateLimitedTLSStarts)),
            ("pendingFragmentedMessages", .number(endpoint.pendingFragmentedMessages)),
        ]
    }

    /// Adopts a new configuration (`EndpointInput.reconfigure`); its CRL caches replace the old
    /// ones. The ports must be the same: the sockets stay.
    public func reconfigure(_ configuration: EndpointConfiguration) -> EventLoopFuture<Void> {
        eventLoop.submit {
            guard self.state.value.sockets != nil else { throw EndpointDriverError.notRunning }
            self.handle(.reconfigure(configuration))
            self.state.value.crlCaches = Self.crlCaches(of: configuration)
        }
    }

    /// The CRL caches of the running configuration's certificate methods.
    public func crlCaches() -> EventLoopFuture<[CRLCache]> {
        eventLoop.submit { self.state.value.crlCaches }
    }

    /// Stops: the endpoint tells every peer and removes every SA (the delegate hears of each
    /// removal), the last datagrams are written, the timer is cancelled and the sockets closed.
    /// Calling it again returns the same future; inputs that arrive meanwhile are dropped. A
    /// driver never started just ends; while `start()` is still binding this fails with
    /// `notRunning`.
    public func shutdown() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { self.stop() }
    }

    // MARK: - On the loop

    private func bindSockets() -> EventLoopFuture<Void> {
        guard case .idle = state.value.phase else {
            return eventLoop.makeFailedFuture(EndpointDriverError.alreadyStarted)
        }
        state.value.phase = .starting
        return DatagramSockets.bind(
            boundAddresses, natTraversalPort: ports.natTraversal, on: eventLoop,
            natTraversalOptions: natTraversalSocketOptions
        ) { message, peer, local in
            self.received(message, from: peer, to: local)
        }.map { sockets in
            self.state.value.phase = .running(sockets)
        }.flatMapErrorThrowing { error in
            self.state.value.phase = .stopped
            throw error
        }
    }

    /// Starts on sockets a `ShardedDriver` bound for this shard.
    func attach(_ sockets: DatagramSockets) -> EventLoopFuture<Void> {
        eventLoop.submit {
            guard case .idle = self.state.value.phase else { throw EndpointDriverError.alreadyStarted }
            self.state.value.phase = .running(sockets)
        }
    }

    private func stop() -> EventLoopFuture<Void> {
        switch state.value.phase {
        case .idle, .stopped:
            state.value.phase = .stopped
            return eventLoop.makeSucceededVoidFuture()
        case .starting:
            return eventLoop.makeFailedFuture(EndpointDriverError.notRunning)
        case .stopping(let done):
            return done
        case .running(let sockets):
            let writes = handle(.shutdown)
            state.value.wakeUp?.task.cancel()
            state.value.wakeUp = nil
            let done = EventLoopFuture.whenAllComplete(writes, on: eventLoop)
                .flatMap { _ in sockets.close(on: self.eventLoop) }
                .map { self.state.value.phase = .stopped }
            state.value.phase = .stopping(done)
            return done
        }
    }

    /// A datagram's negotiation, for the diagnostics: the addresses, both cookies, the exchange
    /// type and the message ID of its ISAKMP header (as far as it has one), and its length.
    static func negotiation(_ message: [UInt8], peer: EndpointAddress, local: EndpointAddress) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "peer": "\(peer)", "local": "\(local)", "bytes": "\(message.count)",
        ]
        guard message.count >= 28 else { return metadata }
        func hex(_ range: Range<Int>) -> Logger.MetadataValue {
            .string(message[range].map { String(format: "%02x", $0) }.joined())
        }
        metadata["icookie"] = hex(0..<8)
        metadata["rcookie"] = hex(8..<16)
        metadata["exchange"] = "\(message[18])"
        metadata["messageID"] = hex(20..<24)
        return metadata
    }

    /// A datagram arrived on the socket bound to `local`.
    func received(_ message: [UInt8], from peer: EndpointAddress, to local: EndpointAddress) {
        guard state.value.sockets != nil else { return }
        if state.value.refusesNewNegotiations, Self.startsNegotiation(message) {
            state.value.firstMessagesDropped += 1
            return
        }
        logger.debug("received", metadata: Self.negotiation(message, peer: peer, local: local))
        state.value.setups.note(message, peer: peer.ip, at: .now)
        handle(.datagram(message, from: peer, to: local))
    }
}

/// A socket option: level, name and integer value, as `setsockopt(2)` takes them.
public struct SocketOptionSetting: Sendable, Hashable {
    public var level: Int32
    public var name: Int32
    public var value: Int32

    public init(level: Int32, name: Int32, value: Int32) {
        self.level = level
        self.name = name
        self.value = value
    }
}
