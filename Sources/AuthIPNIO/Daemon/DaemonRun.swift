import AuthIP
import AuthIPControl
import AuthIPCrypto
import AuthIPDirectory
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// One run of an `EndpointDriver` from a configuration file, as `authip responder` and
/// `authip initiator` do it: binds the configured addresses, prints every audit event and SA
/// change on standard output (`EventLineFormat`), optionally acquires the configured traffic,
/// and stops on SIGINT or SIGTERM, after `duration`, or, when `stopsWhenEstablished`, once the
/// acquired traffic is protected or a negotiation has failed. The driver is then shut down
/// (peers told, SAs removed) before `run()` returns.
public struct DaemonRun {
    /// Why the run stopped.
    public enum Outcome: Sendable, Hashable {
        case signalled(Int32)
        case durationElapsed
        /// Every acquired request has an outbound SA.
        case established
        /// A negotiation failed; the text names the event and its failure reason.
        case failed(String)
    }

    public var configuration: DriverConfiguration
    public var format: EventLineFormat
    /// How long to run at most; nil: until a signal (or establishment).
    public var duration: Duration?
    /// Whether to acquire the configuration's `acquire` traffic at start.
    public var acquiresAtStart: Bool
    /// Whether to stop once the acquired traffic is protected or a negotiation fails.
    public var stopsWhenEstablished: Bool
    /// Where to write the run as a replayable vector (`NegotiationRecorder`), with the
    /// configuration file's path (its text and the files it names go into the vector).
    public var recording: (directory: URL, configurationPath: String)?
    /// The file the configuration came from: `authip reload` and SIGHUP read it again.
    public var configurationPath: String?
    /// How many endpoints share the negotiations, each on a core of its own (`ShardedDriver`);
    /// a recording needs one.
    public var shards = 1
    /// The cluster the gateway is a node of (`GatewayCluster`): joined once the control socket
    /// is up, left (its entries withdrawn) before the driver stops.
    public var cluster: (any GatewayCluster)?

    /// The diagnostics on standard error, at the configuration's `logLevel`.
    var logger: Logger {
        Logger(label: "authip") { [level = configuration.logLevel] _ in DiagnosticLogHandler(level: level) }
    }

    public init(
        configuration: DriverConfiguration, format: EventLineFormat = .text, duration: Duration? = nil,
        acquiresAtStart: Bool = false, stopsWhenEstablished: Bool = false
    ) {
        self.configuration = configuration
        self.format = format
        self.duration = duration
        self.acquiresAtStart = acquiresAtStart
        self.stopsWhenEstablished = stopsWhenEstablished
    }

    /// Runs until one of the stop conditions, blocking the calling thread. Throws a
    /// `DriverConfigurationError` when a credential cannot be loaded or there is no traffic to
    /// wait for, an `EndpointDriverError` when a socket cannot be bound.
    public func run() throws -> Outcome {
        if stopsWhenEstablished && configuration.acquire.isEmpty {
            throw DriverConfigurationError.invalidField(
                field: "acquire", reason: "is empty: there is no traffic to wait for")
        }
        if shards < 1 || (shards > 1 && recording != nil) {
            throw DaemonFailure(description: "\(shards) shards: a run needs at least one, a recording exactly one")
        }
        let endpointConfiguration = try configuration.endpointConfiguration()
        let logger = self.logger
        let group = MultiThreadedEventLoopGroup(numberOfThreads: shards)
        defer { try? group.syncShutdownGracefully() }
        let stop = FirstOutcome()
        let reload = Mutex<ControlService?>(nil)
        let lifecycle = startLifecycle(
            logger: logger, shutDown: { stop.settle(.signalled(SIGTERM)) },
            reload: {
                guard let service = reload.withLock({ $0 }) else { return logger.notice("SIGHUP: nothing to reload") }
                ServiceNotifier.notify("RELOADING=1")
                service.perform(.reload).whenComplete { result in
                    if case .failure = result {
                        ServiceNotifier.notify("READY=1", "STATUS=reload refused")
                    } else {
                        ServiceNotifier.notify("READY=1", "STATUS=reloaded")
                    }
                }
            })
        defer { lifecycle.cancel() }

        let watch = stopsWhenEstablished ? EstablishmentWatch(configuration.acquire) : nil
        let trail = try openAuditTrail()
        defer { trail?.drain() }
        let metrics = configuration.metrics.map { _ in DaemonMetrics() }
        let delegate = ConsoleDelegate(
            lines: try EventLines(
                format: format, computerName: configuration.computerName, lastRecordID: trail?.lastRecordID ?? 0),
            watch: watch, trail: trail, metrics: metrics
        ) {
            switch $0 {
            case .established: stop.settle(.established)
            case .failed(let reason): stop.settle(.failed(reason))
            }
        }
        let start = Date()
        let recorder = try recording.map { recording throws -> NegotiationRecorder in
            let path = recording.configurationPath
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw DriverConfigurationError.unreadable(path: path, reason: "cannot be read for the recording")
            }
            let stamp = ISO8601DateFormatter().string(from: start).replacingOccurrences(of: ":", with: "")
            return try NegotiationRecorder(
                name: "recording-\(configuration.computerName)-\(stamp)", configurationText: text,
                baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent())
        }
        defer { if recorder != nil { OpenSSLRandom.useSystem() } }
        let directory = try configuration.remoteDirectory()?.0
        let kernel: KernelDataPlane?
        do {
            kernel = configuration.dataPlane == .xfrm ? try KernelDataPlane(printer: delegate, logger: logger) : nil
        } catch {
            throw DaemonFailure(description: "the xfrm data plane: \(error) (\"dataPlane\": \"none\" runs without one)")
        }
        let driver = ShardedDriver(
            configuration: endpointConfiguration, localAddresses: configuration.localAddresses, shards: shards,
            eventLoopGroup: group, delegate: kernel ?? delegate,
            crlDownloader: CRLDownloader(directory: directory?.configuration, pool: EndpointDriver.crlDownloadPool),
            directory: directory, domainController: WinbindDomainController(), recorder: recorder, logger: logger,
            natTraversalSocketOptions: kernel != nil ? KernelDataPlane.natTraversalSocketOptions : [])
        try driver.start().wait()
        if let kernel {
            do {
                try kernel.start(rules: endpointConfiguration.rules, driver: driver)
            } catch {
                try? driver.shutdown().wait()
                kernel.stop()
                throw DaemonFailure(description: "the xfrm data plane: \(error)")
            }
        }
        defer { kernel?.stop() }
        let sharding = shards > 1 ? " with \(shards) shards" : ""
        logger.notice("listening on UDP \(driver.boundAddresses.map(\.description).joined(separator: ", "))\(sharding)")
        let (service, control) = try startControl(driver, group: group, reconfigured: { kernel?.reload(rules: $0) })
        reload.withLock { $0 = service }
        defer { control?.close() }
        if let cluster {
            service.attach(cluster)
            cluster.start(driver: driver, control: service)
        }
        let metricsServer = try metrics.map { try startMetrics($0, driver: driver, group: group) }
        defer { metricsServer?.close() }
        if let user = configuration.user {
            do {
                let state = configuration.stateDirectoryPath.map { directory in
                    [directory]
                        + ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).map {
                            directory + "/" + $0
                        }
                }
                _ = try PrivilegeDrop(user: user, group: configuration.group).perform(owning: state ?? [])
                logger.notice("running as \(user)")
            } catch {
                try? driver.shutdown().wait()
                throw error
            }
        }
        ServiceNotifier.notify("READY=1", "STATUS=negotiating", "MAINPID=\(getpid())")
        if let duration {
            driver.eventLoop.scheduleTask(in: TimeAmount(duration)) { stop.settle(.durationElapsed) }
        }
        if acquiresAtStart {
            for traffic in configuration.acquire { driver.submit(.acquire(traffic)) }
        }
        let outcome = stop.wait()
        ServiceNotifier.notify("STOPPING=1")
        if let cluster {
            let left = DispatchSemaphore(value: 0)
            Task {
                await cluster.stop()
                left.signal()
            }
            if left.wait(timeout: .now() + 5) == .timedOut { logger.warning("the cluster did not answer the leave") }
        }
        try driver.shutdown().wait()
        if let recorder, let directory = recording?.directory {
            let url = try recorder.write(to: directory)
            logger.notice("recorded to \(url.path)")
        }
        return outcome
    }
}

extension DaemonRun {
    /// Runs the daemon's `ServiceGroup` (SIGTERM and SIGINT: graceful shutdown; SIGHUP:
    /// reload) and returns once its signals are trapped. SIGPIPE is ignored: a syslog receiver
    /// that closes its TLS stream must not end the daemon.
    private func startLifecycle(
        logger: Logger, shutDown: @escaping @Sendable () -> Void, reload: @escaping @Sendable () -> Void
    ) -> Task<Void, Never> {
        signal(SIGPIPE, SIG_IGN)
        // Until the group traps them, a stop or reload signal is dropped rather than fatal.
        for number in [SIGTERM, SIGINT, SIGHUP] { signal(number, SIG_IGN) }
        let running = DispatchSemaphore(value: 0)
        let service = DaemonService(shutDown: shutDown, reload: reload, started: { running.signal() })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let task = Task {
            do {
                try await group.run()
            } catch {
                logger.error("service group: \(error)")
            }
        }
        running.wait()
        return task
    }

    /// The durable audit log and syslog the configuration names; nil when it names neither.
    private func openAuditTrail() throws -> AuditTrail? {
        guard let audit = configuration.audit, audit.log != nil || audit.syslog != nil else { return nil }
        do {
            let trail = try AuditTrail(
                logPath: configuration.auditLogPath,
                syslog: audit.syslog.map { ($0.resolvingPaths(configuration.resolve), $0.format) })
            if let path = configuration.auditLogPath {
                logger.notice("audit log \(path), records from \(trail.lastRecordID + 1)")
            }
            return trail
        } catch {
            throw DaemonFailure(description: "audit: \(error)")
        }
    }

    /// The Prometheus endpoint; the driver is shut down if it cannot listen.
    private func startMetrics(
        _ metrics: DaemonMetrics, driver: ShardedDriver, group: any EventLoopGroup
    ) throws -> MetricsServer {
        guard let listen = configuration.metrics?.listen else { throw DaemonFailure(description: "no metrics address") }
        do {
            let server = try MetricsServer.start(
                address: try SocketAddress(ipAddress: listen.host.description, port: Int(listen.port)),
                metrics: metrics, driver: driver, group: group)
            logger.notice("metrics on http://\(server.localAddress.map(Self.text) ?? "?")/metrics")
            return server
        } catch {
            try? driver.shutdown().wait()
            throw DaemonFailure(description: "metrics: cannot listen on \(listen.host):\(listen.port): \(error)")
        }
    }

    private static func text(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// The stored blocks applied, and the control socket opened, as the configuration asks;
    /// the driver is shut down if either fails.
    private func startControl(
        _ driver: ShardedDriver, group: any EventLoopGroup,
        reconfigured: @escaping @Sendable ([ConnectionSecurityRule]) -> Void
    ) throws -> (ControlService, ControlServer?) {
        let store = try configuration.stateDirectoryPath.map { directory throws -> BlockListStore in
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw DaemonFailure(description: "cannot make the state directory \(directory): \(error)")
            }
            return BlockListStore(directory: URL(fileURLWithPath: directory))
        }
        let logger = self.logger
        let service = ControlService(
            driver: driver, store: store,
            reloader: configurationPath.map { ConfigurationReloader(path: $0, running: configuration) },
            log: { logger.notice("\($0)") }, reconfigured: reconfigured)
        do {
            let restored = try service.restore()
            if restored > 0 { logger.notice("restored \(restored) blocks from \(store?.path ?? "")") }
            guard let path = configuration.controlSocketPath else { return (service, nil) }
            let server = try ControlServer.start(path: path, service: service, group: group)
            logger.notice("control socket \(path)")
            return (service, server)
        } catch {
            try? driver.shutdown().wait()
            throw DaemonFailure(description: "\(error)")
        }
    }
}

/// Why the daemon could not start besides its configuration and sockets.
public struct DaemonFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The first of several stop reasons; the later ones are ignored.
private final class FirstOutcome: Sendable {
    private let outcome = Mutex<DaemonRun.Outcome?>(nil)
    private let settled = DispatchSemaphore(value: 0)

    func settle(_ outcome: DaemonRun.Outcome) {
        let first = self.outcome.withLock { current in
            guard current == nil else { return false }
            current = outcome
            return true
        }
        if first { settled.signal() }
    }

    /// Blocks until an outcome is settled.
    func wait() -> DaemonRun.Outcome {
        while true {
            settled.wait()
            if let outcome = outcome.withLock({ $0 }) { return outcome }
        }
    }
}
