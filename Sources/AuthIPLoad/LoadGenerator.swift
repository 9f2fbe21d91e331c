import AuthIP
import AuthIPAudit
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import AuthIPWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Many DirectAccess clients in one process against a real responder over UDP, as
/// `authip load` runs them (the way strongSwan's load-tester drives charon): client after
/// client at a steady rate, each an `EndpointDriver` of its own on its own address with its
/// own computer certificate and account (`LoadTemplate`), acquiring its tunnel's traffic and
/// timed from the acquire until both SAs of its Quick Mode are installed. A tunnel is closed
/// (the responder told) once established, or after `hold`; a client's identity is used again
/// once its tunnel is closed.
public final class LoadGenerator: Sendable {
    /// The tunnel a client negotiates: the template's first acquire (infrastructure servers)
    /// or its second (the intranet).
    public enum Tunnel: String, Sendable, CaseIterable {
        case infrastructure
        case intranet
    }

    public struct Options: Sendable {
        public var clients: Int
        /// New tunnels a second.
        public var rate: Double
        /// How long new tunnels are started.
        public var duration: Duration
        public var tunnel: Tunnel = .infrastructure
        /// How long each tunnel stays up once established (nil: closed at once); those still
        /// up when the run ends are closed then.
        public var hold: Duration?
        /// How often the responder's CPU time and memory are sampled during the run.
        public var sampleInterval: Duration = .seconds(60)
        /// A tunnel not established this long after its acquire counts as a timeout.
        public var setupTimeout: Duration = .seconds(60)
        /// The responder's process, for its CPU time and memory.
        public var responderPID: Int32?
        /// Threads the clients run on.
        public var threads: Int = System.coreCount
        public var flood: FirstMessageFlood?

        public init(clients: Int, rate: Double, duration: Duration) {
            self.clients = clients
            self.rate = rate
            self.duration = duration
        }
    }

    let template: LoadTemplate
    let options: Options
    private let state = NIOLockedValueBox(RunState())

    public init(template: LoadTemplate, options: Options) {
        self.template = template
        self.options = options
    }

    /// Runs the load, blocking, and returns its summary.
    public func run() throws -> LoadSummary {
        Self.raiseDescriptorLimit(to: options.clients + 1_024)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        defer { try? group.syncShutdownGracefully() }
        let responder = options.responderPID.map(ProcessAccounting.init)
        let before = responder?.sample()
        let flood = options.flood.map(FloodThread.init)
        let started = ContinuousClock.now
        let total = Int(options.rate * options.duration.seconds)
        var nextNumber = 1
        var samples: [ProcessAccounting.Sample] = []
        var nextSample = started + options.sampleInterval
        for index in 0..<total {
            let due = started + .seconds(Double(index) / options.rate)
            let now = ContinuousClock.now
            if due > now { Thread.sleep(forTimeInterval: (due - now).seconds) }
            if let responder, ContinuousClock.now >= nextSample, let sample = responder.sample() {
                samples.append(sample)
                nextSample = nextSample + options.sampleInterval
            }
            guard let number = claimIdentity(from: &nextNumber) else {
                state.withLockedValue { $0.skipped += 1 }
                continue
            }
            startClient(number, group: group)
        }
        let end = started + options.duration
        if end > ContinuousClock.now { Thread.sleep(forTimeInterval: (end - ContinuousClock.now).seconds) }
        // Wait for the tunnels in setup, measure what is held, then close what is still up.
        let setupDeadline = ContinuousClock.now + options.setupTimeout + .seconds(5)
        while state.withLockedValue({ $0.inSetup }) > 0, ContinuousClock.now < setupDeadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let held = responder?.sample()
        let heldTunnels = state.withLockedValue { $0.heldNow }
        for client in state.withLockedValue({ Array($0.clients.values) }) where client.phase == .held {
            close(client.driver, number: client.number)
        }
        let closeDeadline = ContinuousClock.now + .seconds(30)
        while state.withLockedValue({ !$0.clients.isEmpty }), ContinuousClock.now < closeDeadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        // The responder's share of the last deletes.
        Thread.sleep(forTimeInterval: 0.5)
        let after = responder?.sample()
        let floodSent = flood?.waitForSent() ?? 0
        return state.withLockedValue { run in
            LoadSummary(
                options: options, started: run.started, established: run.latencies.count, failures: run.failures,
                skipped: run.skipped, latencies: run.latencies, firstStart: run.firstStart,
                lastEstablished: run.lastEstablished, before: before, held: held, after: after,
                heldTunnels: heldTunnels, samples: samples, floodSent: floodSent,
                floodSources: options.flood?.sources.count ?? 0)
        }
    }

    /// The next identity whose tunnel is closed, in turn.
    private func claimIdentity(from next: inout Int) -> Int? {
        state.withLockedValue { run in
            for _ in 0..<options.clients {
                let number = next
                next = next % options.clients + 1
                if !run.busy.contains(number) {
                    run.busy.insert(number)
                    return number
                }
            }
            return nil
        }
    }

    private func startClient(_ number: Int, group: any EventLoopGroup) {
        let configuration: DriverConfiguration
        let endpointConfiguration: EndpointConfiguration
        do {
            configuration = try template.configuration(of: number)
            endpointConfiguration = try configuration.endpointConfiguration()
        } catch {
            return fail(number, driver: nil, reason: "configuration: \(error)")
        }
        let index = options.tunnel == .infrastructure ? 0 : 1
        guard configuration.acquire.indices.contains(index) else {
            return fail(number, driver: nil, reason: "the template has no \(options.tunnel) traffic")
        }
        let traffic = configuration.acquire[index]
        // No NAT between the clients and the responder: one socket a client.
        let driver = EndpointDriver(
            configuration: endpointConfiguration, localAddresses: configuration.localAddresses,
            eventLoopGroup: group, delegate: self, bindsNATTraversalPort: false)
        state.withLockedValue { run in
            run.started += 1
            run.firstStart = run.firstStart ?? .now
            run.clients[ObjectIdentifier(driver)] = Client(number: number, driver: driver, acquired: .now)
        }
        driver.start().flatMap { driver.submit(.acquire(traffic)) }.whenFailure { error in
            self.fail(number, driver: driver, reason: "\(error)")
        }
        driver.eventLoop.scheduleTask(in: TimeAmount(options.setupTimeout)) {
            let pending = self.state.withLockedValue { $0.clients[ObjectIdentifier(driver)]?.phase == .setup }
            if pending { self.fail(number, driver: driver, reason: "timeout") }
        }
    }

    /// A tunnel that failed: counted under `reason`, its driver stopped.
    private func fail(_ number: Int, driver: EndpointDriver?, reason: String) {
        let first = state.withLockedValue { run -> Bool in
            if let driver {
                guard run.clients[ObjectIdentifier(driver)]?.phase == .setup else { return false }
                run.clients[ObjectIdentifier(driver)]?.phase = .closing
            }
            run.failures[reason, default: 0] += 1
            return true
        }
        guard first else { return }
        if let driver { close(driver, number: number) } else { state.withLockedValue { _ = $0.busy.remove(number) } }
    }

    /// Closes a tunnel as a client that disconnects cleanly does: its MM SA removed, the
    /// responder told (one acknowledged notify after the other) until the client holds no
    /// session, then the driver stopped.
    private func close(_ driver: EndpointDriver, number: Int) {
        state.withLockedValue { run in
            run.clients[ObjectIdentifier(driver)]?.phase = .closing
        }
        let deadline = NIODeadline.now() + .seconds(5)
        func stopWhenDone() {
            driver.inspect { $0.sessionCount }.whenComplete { result in
                if case .success(let sessions) = result, sessions > 0, NIODeadline.now() < deadline {
                    driver.eventLoop.scheduleTask(in: .milliseconds(20)) { stopWhenDone() }
                    return
                }
                driver.shutdown().whenComplete { _ in
                    self.state.withLockedValue { run in
                        run.clients[ObjectIdentifier(driver)] = nil
                        run.busy.remove(number)
                    }
                }
            }
        }
        driver.submit(.removeMainModeSAs(MainModeSAFilter())).whenComplete { _ in stopWhenDone() }
    }

    private static func raiseDescriptorLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = rlim_t(wanted)
        if limit.rlim_max < limit.rlim_cur { limit.rlim_max = limit.rlim_cur }
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
            // Not root: as far as the hard limit goes.
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}

extension LoadGenerator: EndpointDriverDelegate {
    public func endpointDriver(_ driver: EndpointDriver, install sa: IPsecSA) {
        let established = state.withLockedValue { run -> (Int, Duration)? in
            let key = ObjectIdentifier(driver)
            guard var client = run.clients[key], client.phase == .setup else { return nil }
            client.installed.insert(sa.direction)
            guard client.installed.count == 2 else {
                run.clients[key] = client
                return nil
            }
            let latency = ContinuousClock.now - client.acquired
            client.phase = .held
            run.clients[key] = client
            run.latencies.append(latency)
            run.lastEstablished = .now
            return (client.number, latency)
        }
        guard let (number, _) = established else { return }
        if let hold = options.hold {
            driver.eventLoop.scheduleTask(in: TimeAmount(hold)) {
                let release = self.state.withLockedValue { $0.clients[ObjectIdentifier(driver)]?.phase == .held }
                if release { self.close(driver, number: number) }
            }
        } else {
            close(driver, number: number)
        }
    }

    public func endpointDriver(
        _ driver: EndpointDriver, removeSAWithSPI spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64
    ) {}

    public func endpointDriver(_ driver: EndpointDriver, record event: AuditEvent, at time: Date) {
        guard let code = event.failureCode else { return }
        let number = state.withLockedValue { $0.clients[ObjectIdentifier(driver)]?.number }
        guard let number else { return }
        fail(number, driver: driver, reason: "\(event.descriptor.eventID)/\(code.code)")
    }

    public func endpointDriver(
        _ driver: EndpointDriver, failedToSendTo destination: EndpointAddress, because error: EndpointDriverError
    ) {}

    public func endpointDriver(_ driver: EndpointDriver, failedToSaveCRLCache error: EndpointDriverError) {}

    public func endpointDriver(_ driver: EndpointDriver, calibrated calibration: Calibration) {}
}

/// A flood sent from a thread of its own while the clients connect.
private final class FloodThread: Sendable {
    private let sent = NIOLockedValueBox(0)
    private let done = DispatchSemaphore(value: 0)

    init(_ flood: FirstMessageFlood) {
        Thread { [self] in
            sent.withLockedValue { $0 = flood.run() }
            done.signal()
        }.start()
    }

    /// Waits for the flood to end; the datagrams sent.
    func waitForSent() -> Int {
        done.wait()
        return sent.withLockedValue { $0 }
    }
}

/// What the generator knows of its clients.
private struct RunState: Sendable {
    var clients: [ObjectIdentifier: Client] = [:]
    /// Identities whose tunnel is not closed yet.
    var busy: Set<Int> = []
    var started = 0
    var skipped = 0
    var failures: [String: Int] = [:]
    var latencies: [Duration] = []
    var firstStart: ContinuousClock.Instant?
    var lastEstablished: ContinuousClock.Instant?

    /// Tunnels in setup, and tunnels up and held.
    var inSetup: Int { clients.values.count { $0.phase == .setup } }
    var heldNow: Int { clients.values.count { $0.phase == .held } }
}

private struct Client: Sendable {
    enum Phase { case setup, held, closing }
    var number: Int
    var driver: EndpointDriver
    var acquired: ContinuousClock.Instant
    var phase = Phase.setup
    var installed: Set<IPsecSA.Direction> = []
}

/// A process's CPU time and resident memory, from `/proc`.
struct ProcessAccounting: Sendable {
    let pid: Int32

    init(_ pid: Int32) { self.pid = pid }

    struct Sample: Sendable {
        var cpuSeconds: Double
        var residentBytes: Int
    }

    func sample() -> Sample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let resident =
            status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
            ?? 0
        return Sample(cpuSeconds: (user + system) / ticks, residentBytes: resident * 1024)
    }
}
