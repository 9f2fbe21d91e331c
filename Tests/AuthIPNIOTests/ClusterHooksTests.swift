import AuthIP
import AuthIPControl
import AuthIPNIO
import AuthIPSADatabase
import AuthIPTestSupport
import AuthIPWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// What a cluster node asks of the gateway it runs in, without etcd: the cluster's block list
/// adopted whole, drain, and acquires routed to the cluster first. These run under the
/// sanitizers, which build without the cluster layer.
@Suite("The gateway's hooks for a cluster")
struct ClusterHooksTests {
    static func stateDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authip-hooks-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("The cluster's list is adopted whole: new blocks remove SAs and are stored, missing ones are lifted")
    func adoptBlocks() async throws {
        let ports = try LoopbackPorts.pick()
        let (driver, _) = try ShardedDriverTests.responder(ports: ports)
        try await driver.start().get()
        let directory = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = BlockListStore(directory: directory)
        let control = ControlService(driver: driver, store: store)
        let initiators = try await ShardedDriverTests.connect(2, ports: ports)
        let mainModes: () async throws -> Int = {
            try await driver.inspect { $0.database.mainModeCount }.get().reduce(0, +)
        }
        #expect(try await mainModes() == 2)

        // Whole seconds: the stored list keeps RFC 3339 times to the second.
        let block = BlockListStore.Entry(
            pattern: WildcardPattern("*CLIENT1*")!, until: nil, reason: "stolen",
            added: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        try await control.adoptClusterBlocks([block]).get()
        #expect(try await mainModes() == 0)
        #expect(try store.load() == [block])
        #expect(control.blocksInForce == [block])
        // The same list again changes nothing; a list without it lifts it, stored first.
        try await control.adoptClusterBlocks([block]).get()
        try await control.adoptClusterBlocks([]).get()
        #expect(try store.load().isEmpty && control.blocksInForce.isEmpty)
        let (again, plane, traffic) = initiators[0]
        let before = plane.snapshot.installed.count
        try await again.submit(.acquire(traffic)).get()
        #expect(try await eventually(within: 20) { plane.snapshot.installed.count >= before + 2 })
        for (initiator, _, _) in initiators { try await initiator.shutdown().get() }
        try await driver.shutdown().get()
    }

    @Test("Drained, a node drops new negotiations' first messages and says so; undrained, it answers again")
    func drain() async throws {
        let ports = try LoopbackPorts.pick()
        let (driver, _) = try ShardedDriverTests.responder(ports: ports)
        try await driver.start().get()
        try await driver.setDraining(true).get()
        #expect(driver.isDraining)
        let (initiator, plane, traffic) = try ShardedDriverTests.initiator(0, ports: ports)
        try await initiator.start().get()
        try await initiator.submit(.acquire(traffic)).get()
        try await Task.sleep(for: .seconds(3))
        #expect(plane.snapshot.installed.isEmpty)
        let status = try await ControlService(driver: driver, store: nil).perform(.status).get()
        #expect((status["firstMessagesDroppedDraining"]?.integerValue ?? 0) >= 1, "\(status)")
        #expect(status["draining"]?.boolValue == true)
        // The initiator's retransmission gets through once the node is back in service.
        try await driver.setDraining(false).get()
        #expect(try await eventually(within: 20) { plane.snapshot.installed.count >= 2 })
        try await initiator.shutdown().get()
        try await driver.shutdown().get()
    }

    @Test("An acquire no shard holds asks the router first: served elsewhere, nothing starts here")
    func acquireRouting() async throws {
        // A certificate rule, which can start a Main Mode toward any loopback address.
        let ports = try LoopbackPorts.pick()
        let configuration = try DriverConfiguration(
            json: Data(LoopbackConfiguration.responder(.certificate(), ports: ports).utf8),
            baseDirectory: TestVectors.directory)
        let driver = ShardedDriver(
            configuration: try configuration.endpointConfiguration(), localAddresses: configuration.localAddresses,
            shards: 2, eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 2), delegate: RecordingDataPlane())
        try await driver.start().get()
        let elsewhere = NIOLockedValueBox(true)
        let asked = NIOLockedValueBox<[IPAddress]>([])
        driver.routeAcquires { traffic in
            asked.withLockedValue { $0.append(traffic.destination) }
            return driver.eventLoop.makeSucceededFuture(elsewhere.withLockedValue { $0 })
        }
        let traffic = TrafficRequest(
            source: IPAddress(LoopbackConfiguration.responderAddress)!, destination: IPAddress("127.0.0.99")!,
            ipProtocol: 6, destinationPort: 445)
        let sessions: () async throws -> Int = { try await driver.inspect { $0.sessionCount }.get().reduce(0, +) }
        try await driver.submit(.acquire(traffic)).get()
        #expect(try await sessions() == 0)
        elsewhere.withLockedValue { $0 = false }
        try await driver.submit(.acquire(traffic)).get()
        #expect(try await sessions() == 1)
        #expect(asked.withLockedValue { $0 } == [IPAddress("127.0.0.99")!, IPAddress("127.0.0.99")!])
        try await driver.shutdown().get()
    }
}
