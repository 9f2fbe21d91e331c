import AuthIP
import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPJSON
import AuthIPTrust
import AuthIPWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Runs an endpoint's negotiations on several cores: N `EndpointDriver`s, each with its own
/// sans-IO `Endpoint` on its own event loop and its own sockets (Docs/Engine.md, "Shards").
///
/// A datagram goes to the shard its initiator cookie hashes to (`EndpointShard`): the kernel
/// puts it on that shard's socket (`ShardSteering`), and the driver checks the cookie again
/// and hands on what the kernel could not place. No table and no lock is shared on that path. What the daemon
/// keeps once stays once: inputs that concern every SA (blocks, removals, reloads, timers) go to
/// every shard; the CRL caches are the configuration's shared objects; a directory answer one
/// shard gets is handed to the others' caches; the control socket's reads fan out and merge;
/// DoS-cookie mode is on while any shard is in it, and its 4646 events are written once for
/// the daemon.
///
/// With one shard this is an `EndpointDriver` on its own sockets.
public final class ShardedDriver: Sendable {
    /// The shards, by `EndpointShard.index`.
    public let shards: [EndpointDriver]
    /// The first shard's loop: the sockets' loop, and where the merged futures complete.
    public var eventLoop: any EventLoop { shards[0].eventLoop }
    /// The local addresses and ports the sockets are bound to once started.
    public var boundAddresses: [EndpointAddress] { shards[0].boundAddresses }
    let key: UInt64
    /// Asked about an acquire no shard holds a Main Mode for; true when it is served elsewhere
    /// (another cluster node holds the client), so no negotiation starts here.
    private let acquireRouter = NIOLockedValueBox<(@Sendable (TrafficRequest) -> EventLoopFuture<Bool>)?>(nil)
    private let draining = NIOLockedValueBox(false)

    /// A driver of `count` shards, each on the next loop of `eventLoopGroup`; the other
    /// parameters are `EndpointDriver`'s, shared by the shards. A recorder needs one shard.
    public init(
        configuration: EndpointConfiguration, localAddresses: [IPAddress], shards count: Int,
        eventLoopGroup: any EventLoopGroup, delegate: any EndpointDriverDelegate,
        crlDownloader: CRLDownloader = CRLDownloader(pool: EndpointDriver.crlDownloadPool),
        directory: (any RemoteAccountDirectory)? = nil, domainController: (any NTLMDomainController)? = nil,
        threadPool: NIOThreadPool = .singleton, crlThreadPool: NIOThreadPool = EndpointDriver.crlDownloadPool,
        clock: @escaping @Sendable () -> Date = Date.init, recorder: NegotiationRecorder? = nil,
        logger: Logger = .silent, natTraversalSocketOptions: [SocketOptionSetting] = []
    ) {
        precondition(count >= 1 && (recorder == nil || count == 1), "\(count) shards")
        // One shard needs no key (and a recording's random stream must not give one).
        var random = SystemRandomSource()
        let key = count == 1 ? 0 : random.next()
        self.key = key
        let fanIn: any EndpointDriverDelegate = count == 1 ? delegate : DenialOfServiceFanIn(delegate)
        let siblings = Siblings()
        var shards: [EndpointDriver] = []
        for index in 0..<count {
            var shardLogger = logger
            if count > 1 { shardLogger[metadataKey: "shard"] = "\(index)" }
            let sharesAnswer: (@Sendable (EndpointInput) -> Void)? =
                count == 1 ? nil : { @Sendable input in siblings.share(input, from: index) }
            let driver = EndpointDriver(
                configuration: configuration, localAddresses: localAddresses, eventLoop: eventLoopGroup.next(),
                delegate: fanIn, random: SystemRandomSource(), crlDownloader: crlDownloader, directory: directory,
                domainController: domainController, threadPool: threadPool, crlThreadPool: crlThreadPool,
                clock: clock, recorder: recorder, logger: shardLogger,
                natTraversalSocketOptions: natTraversalSocketOptions,
                shard: EndpointShard(index: index, count: count, key: key),
                sharesAnswer: sharesAnswer)
            shards.append(driver)
        }
        self.shards = shards
        siblings.set(shards)
    }

    /// Binds each shard's sockets on its loop, shard after shard (the order of the
    /// `SO_REUSEPORT` groups, which the steering program counts in), and starts the shards on
    /// them. Fails with `EndpointDriverError.bindFailed` (nothing stays bound) or `alreadyStarted`.
    public func start() -> EventLoopFuture<Void> {
        guard shards.count > 1 else { return shards[0].start() }
        let shards = self.shards
        let count = shards.count
        let key = self.key
        var bound: [EventLoopFuture<DatagramSockets>] = []
        for shard in shards {
            bound.append(
                DatagramSockets.bind(
                    shards[0].boundAddresses, natTraversalPort: shards[0].ports.natTraversal, on: shard.eventLoop,
                    natTraversalOptions: shards[0].natTraversalSocketOptions, shard: shard.shard
                ) { message, peer, local in
                    // The kernel has steered it here; one too short for the program is placed now.
                    let target = shards[Self.shard(of: message, count: count, key: key)]
                    if target === shard {
                        shard.received(message, from: peer, to: local)
                    } else {
                        shard.state.value.datagramsHandedOn += 1
                        target.eventLoop.execute { target.received(message, from: peer, to: local) }
                    }
                })
        }
        return EventLoopFuture.whenAllComplete(bound, on: eventLoop).flatMap { results in
            var sockets: [DatagramSockets] = []
            var failure: (any Error)?
            for result in results {
                switch result {
                case .success(let bound): sockets.append(bound)
                case .failure(let error): failure = failure ?? error
                }
            }
            if let failure {
                return EventLoopFuture.andAllComplete(sockets.map { $0.close(on: self.eventLoop) }, on: self.eventLoop)
                    .flatMapThrowing { throw failure }
            }
            return EventLoopFuture.andAllSucceed(
                zip(shards, sockets).map { $0.attach($1) }, on: self.eventLoop)
        }
    }

    /// The shard of a datagram: its initiator cookie's (shard 0 for one too short to have one).
    static func shard(of message: [UInt8], count: Int, key: UInt64) -> Int {
        guard count > 1, message.count >= 8 else { return 0 }
        let cookie = message[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return EndpointShard.index(ofInitiatorCookie: cookie, count: count, key: key)
    }

    /// Hands an input to the shards it concerns: a datagram to its cookie's, an acquire to the
    /// shard whose Main Mode can carry it (else the destination's hash), a QM SA's removal or
    /// byte count to the shard of its ID, everything else to all. `.shutdown` is `shutdown()`.
    @discardableResult
    public func submit(_ input: EndpointInput) -> EventLoopFuture<Void> {
        if case .acquire(let traffic) = input, let router = acquireRouter.withLockedValue({ $0 }) {
            return inspect { $0.holdsMainMode(for: traffic) }.flatMap { holds in
                guard !holds.contains(true) else { return self.route(input) }
                return router(traffic).flatMap { elsewhere in
                    elsewhere ? self.eventLoop.makeSucceededVoidFuture() : self.route(input)
                }
            }
        }
        return route(input)
    }

    /// Routes an acquire no shard holds through `router` first (`submit`), until `shutdown`.
    public func routeAcquires(through router: @escaping @Sendable (TrafficRequest) -> EventLoopFuture<Bool>) {
        acquireRouter.withLockedValue { $0 = router }
    }

    /// Whether the node is drained: new negotiations' first messages are dropped on every shard.
    public var isDraining: Bool { draining.withLockedValue { $0 } }

    /// Drains the node (true) or takes new negotiations again (false); the SAs are not touched.
    public func setDraining(_ on: Bool) -> EventLoopFuture<Void> {
        draining.withLockedValue { $0 = on }
        return EventLoopFuture.andAllSucceed(shards.map { $0.refuseNewNegotiations(on) }, on: eventLoop)
    }

    private func route(_ input: EndpointInput) -> EventLoopFuture<Void> {
        guard shards.count > 1 else { return shards[0].submit(input) }
        switch input {
        case .shutdown:
            return shutdown()
        case .datagram(let message, _, _):
            return shards[Self.shard(of: message, count: shards.count, key: key)].submit(input)
        case .removeQuickModeSA(let id), .bytesTransferred(let id, _, _):
            return shards[Int((max(id, 1) - 1) % UInt64(shards.count))].submit(input)
        case .acquire(let traffic):
            return inspect { $0.holdsMainMode(for: traffic) }.flatMap { holds in
                let index =
                    holds.firstIndex(of: true)
                    ?? EndpointShard.index(
                        ofInitiatorCookie: traffic.destination.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
                            ^ traffic.destination.bytes.suffix(8).reduce(0) { $0 << 8 | UInt64($1) },
                        count: self.shards.count, key: self.key)
                return self.shards[index].submit(input)
            }
        default:
            return EventLoopFuture.andAllSucceed(shards.map { $0.submit(input) }, on: eventLoop)
        }
    }

    /// Runs `body` with each shard's endpoint on its loop; the results in shard order.
    public func inspect<Result: Sendable>(
        _ body: @escaping @Sendable (borrowing Endpoint) -> Result
    ) -> EventLoopFuture<[Result]> {
        EventLoopFuture.whenAllSucceed(shards.map { $0.inspect(body) }, on: eventLoop)
    }

    /// `authip status`'s figures, added up over the shards (DoS-cookie mode: any shard's), with
    /// each shard's own under `shards` when there are several.
    func status() -> EventLoopFuture<JSONValue> {
        EventLoopFuture.whenAllSucceed(shards.map { $0.status() }, on: eventLoop).map { figures in
            guard figures.count > 1, case .object(var merged) = Self.merged(figures) else { return figures[0] }
            merged.append(("shards", .array(figures)))
            return .object(merged)
        }
    }

    /// The shards' figures as one: numbers added, flags or'ed, objects merged member by member,
    /// anything else the first shard's.
    static func merged(_ values: [JSONValue]) -> JSONValue {
        switch values[0] {
        case .integer:
            let numbers = values.compactMap(\.integerValue)
            return numbers.count == values.count ? .integer(numbers.reduce(0, +)) : values[0]
        case .double:
            return .double(values.compactMap(\.doubleValue).reduce(0, +))
        case .bool:
            return .bool(values.contains { $0.boolValue == true })
        case .object(let members):
            return .object(members.map { name, _ in (name, merged(values.compactMap { $0[name] })) })
        default:
            return values[0]
        }
    }

    /// Adopts a new configuration on every shard.
    public func reconfigure(_ configuration: EndpointConfiguration) -> EventLoopFuture<Void> {
        EventLoopFuture.andAllSucceed(shards.map { $0.reconfigure(configuration) }, on: eventLoop)
    }

    /// The CRL caches of the running configuration (the same objects in every shard).
    public func crlCaches() -> EventLoopFuture<[CRLCache]> { shards[0].crlCaches() }

    /// Where the control socket's blocking work runs.
    var threadPool: NIOThreadPool { shards[0].threadPool }
    var crlThreadPool: NIOThreadPool { shards[0].crlThreadPool }

    /// Stops every shard: peers told, SAs removed, the last datagrams written, its sockets
    /// closed. Calling it again returns once the same stop is done.
    public func shutdown() -> EventLoopFuture<Void> {
        // A router that holds this driver would otherwise keep it alive for good.
        acquireRouter.withLockedValue { $0 = nil }
        return EventLoopFuture.andAllSucceed(shards.map { $0.shutdown() }, on: eventLoop)
    }
}

/// The shards, for each other's directory answers; held weakly, since each shard holds this.
private final class Siblings: Sendable {
    private struct Sibling: Sendable { weak var driver: EndpointDriver? }
    private let drivers = NIOLockedValueBox<[Sibling]>([])

    func set(_ shards: [EndpointDriver]) { drivers.withLockedValue { $0 = shards.map(Sibling.init) } }

    /// Hands `input` to every shard but `index`.
    func share(_ input: EndpointInput, from index: Int) {
        for case let driver? in drivers.withLockedValue({ $0.map(\.driver) }) where driver.shard.index != index {
            driver.submit(input)
        }
    }
}

/// A sharded driver's delegate: passes everything on, except that DoS-cookie mode is the
/// daemon's: 4646 "started" when the first shard enters it, "stopped" when the last leaves.
private final class DenialOfServiceFanIn: EndpointDriverDelegate {
    private let delegate: any EndpointDriverDelegate
    private let pressed = NIOLockedValueBox<Set<Int>>([])

    init(_ delegate: any EndpointDriverDelegate) { self.delegate = delegate }

    func endpointDriver(_ driver: EndpointDriver, record event: AuditEvent, at time: Date) {
        if case .dosPreventionModeChanged(let change) = event {
            let passes = pressed.withLockedValue { shards in
                let before = shards.isEmpty
                if change == .started { shards.insert(driver.shard.index) } else { shards.remove(driver.shard.index) }
                return before != shards.isEmpty
            }
            guard passes else { return }
        }
        delegate.endpointDriver(driver, record: event, at: time)
    }

    func endpointDriver(_ driver: EndpointDriver, install sa: IPsecSA) {
        delegate.endpointDriver(driver, install: sa)
    }

    func endpointDriver(
        _ driver: EndpointDriver, removeSAWithSPI spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64
    ) {
        delegate.endpointDriver(driver, removeSAWithSPI: spi, direction: direction, quickModeSAID: quickModeSAID)
    }

    func endpointDriver(
        _ driver: EndpointDriver, failedToSendTo destination: EndpointAddress, because error: EndpointDriverError
    ) {
        delegate.endpointDriver(driver, failedToSendTo: destination, because: error)
    }

    func endpointDriver(_ driver: EndpointDriver, failedToSaveCRLCache error: EndpointDriverError) {
        delegate.endpointDriver(driver, failedToSaveCRLCache: error)
    }

    func endpointDriver(_ driver: EndpointDriver, calibrated calibration: Calibration) {
        delegate.endpointDriver(driver, calibrated: calibration)
    }
}
