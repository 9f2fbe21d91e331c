import AuthIP
import AuthIPControl
import AuthIPCrypto
import AuthIPJSON
import AuthIPLoad
import AuthIPNIO
import AuthIPSADatabase
import AuthIPTestSupport
import AuthIPWire
import Foundation
import NIOPosix
import Testing

/// A responder split into two shards over real UDP on loopback, against initiators of their
/// own addresses (127.0.0.10 on): where negotiations land, what stays global.
@Suite("ShardedDriver on loopback")
struct ShardedDriverTests {
    /// A two-shard responder of `LoopbackConfiguration` (NTLM), with its recording delegate.
    static func responder(
        ports: LoopbackPorts, settings adjust: (inout EndpointSettings) -> Void = { _ in }
    ) throws -> (ShardedDriver, RecordingDataPlane) {
        let configuration = try DriverConfiguration(
            json: Data(LoopbackConfiguration.responder(.ntlm, ports: ports).utf8), baseDirectory: TestVectors.directory)
        var endpointConfiguration = try configuration.endpointConfiguration()
        adjust(&endpointConfiguration.settings)
        let plane = RecordingDataPlane()
        let driver = ShardedDriver(
            configuration: endpointConfiguration, localAddresses: configuration.localAddresses, shards: 2,
            eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 2), delegate: plane)
        return (driver, plane)
    }

    /// Initiator `index` of `LoopbackConfiguration`, moved to 127.0.0.(10 + index).
    static func initiator(
        _ index: Int, ports: LoopbackPorts
    ) throws -> (EndpointDriver, RecordingDataPlane, TrafficRequest) {
        let json = LoopbackConfiguration.initiator(.ntlm, ports: ports)
            .replacingOccurrences(of: LoopbackConfiguration.initiatorAddress, with: "127.0.0.\(10 + index)")
        let (driver, plane, configuration) = try EndpointDriverTests.driver(json)
        return (driver, plane, configuration.acquire[0])
    }

    /// Starts `count` initiators and waits until each has both SAs of its Quick Mode.
    static func connect(
        _ count: Int, ports: LoopbackPorts
    ) async throws -> [(EndpointDriver, RecordingDataPlane, TrafficRequest)] {
        let initiators = try (0..<count).map { try initiator($0, ports: ports) }
        for (driver, _, traffic) in initiators {
            try await driver.start().get()
            try await driver.submit(.acquire(traffic)).get()
        }
        let established = try await eventually(within: 20) {
            initiators.allSatisfy { $0.1.snapshot.installed.count >= 2 }
        }
        #expect(established, "\(initiators.map { $0.1.snapshot.eventIDs })")
        return initiators
    }

    @Test("Each Main Mode lives on the shard its initiator cookie names; SA IDs and SPIs never collide")
    func routingByCookie() async throws {
        let ports = try LoopbackPorts.pick()
        let (responder, plane) = try Self.responder(ports: ports)
        try await responder.start().get()
        let initiators = try await Self.connect(16, ports: ports)

        let shards = try await responder.inspect { endpoint in
            endpoint.database.mainModes(matching: MainModeSAFilter()).map {
                (endpoint.shard.index, endpoint.shard.owns(initiatorCookie: $0.cookies.initiator), $0.id)
            }
        }.get()
        let records = shards.flatMap { $0 }
        #expect(records.count == 16)
        #expect(records.allSatisfy { $0.1 }, "a Main Mode on a shard its cookie does not name: \(records)")
        // 16 cookies all on one shard would be a 1 in 32,768 chance.
        #expect(Set(records.map(\.0)) == [0, 1], "\(records)")
        let installed = plane.snapshot.installed
        #expect(installed.count == 32)
        #expect(Set(installed.map(\.spi)).count == 32 && Set(installed.map(\.quickModeSAID)).count == 16)
        #expect(Set(records.map(\.2)).count == 16)

        // The control socket's list merges the shards.
        let service = ControlService(driver: responder, store: nil)
        let list = try await service.perform(.listSAs(identity: nil, remote: nil, quick: true)).get()
        let listed = (list["mainModeSAs"]?.arrayValue?.count, list["quickModeSAs"]?.arrayValue?.count)
        #expect(listed == (16, 16))
        let status = try await service.perform(.status).get()
        #expect(status["mainModeSAs"] == .integer(16) && status["shards"]?.arrayValue?.count == 2, "\(status)")
        // The kernel put every datagram on its shard's socket: none was handed on.
        #expect(status["datagramsHandedOn"] == .integer(0), "\(status)")

        for (driver, _, _) in initiators { try await driver.shutdown().get() }
        try await responder.shutdown().get()
    }

    @Test("A block reaches every shard: all of the identity's SAs go, and a new negotiation on any shard is refused")
    func blockReachesEveryShard() async throws {
        let ports = try LoopbackPorts.pick()
        let (responder, plane) = try Self.responder(ports: ports)
        try await responder.start().get()
        let initiators = try await Self.connect(12, ports: ports)
        let perShard = try await responder.inspect { $0.database.mainModeCount }.get()
        #expect(perShard.count == 2 && perShard.allSatisfy { $0 > 0 } && perShard.reduce(0, +) == 12, "\(perShard)")

        let service = ControlService(driver: responder, store: nil)
        let pattern = try #require(WildcardPattern("*CLIENT1*"))
        let result = try await service.perform(.block(pattern: pattern, until: nil, reason: "stolen")).get()
        #expect(result["mainModeSAsRemoved"] == .integer(12), "\(result)")
        let removed = try await eventually(within: 5) {
            plane.snapshot.removedSPIs.count == 24
        }
        #expect(removed, "\(plane.snapshot.removedSPIs.count) SAs removed")
        let blocked = try await responder.inspect { ($0.database.mainModeCount, $0.blockList.entries.count) }.get()
        #expect(blocked.allSatisfy { $0 == (0, 1) }, "\(blocked)")

        // New negotiations, whichever shard their cookies pick, are refused.
        let before = plane.snapshot.installed.count
        for (driver, _, _) in initiators { try await driver.shutdown().get() }
        let again = try (0..<6).map { try Self.initiator($0 + 20, ports: ports) }
        for (driver, _, traffic) in again {
            try await driver.start().get()
            try await driver.submit(.acquire(traffic)).get()
        }
        let refused = try await eventually(within: 10) {
            again.allSatisfy { $0.1.snapshot.eventIDs.contains(4653) }
        }
        #expect(refused, "\(again.map { $0.1.snapshot.eventIDs })")
        #expect(plane.snapshot.installed.count == before)
        for (driver, _, _) in again { try await driver.shutdown().get() }
        try await responder.shutdown().get()
    }

    @Test("Exactly the shard holding a client's Main Mode claims an acquire for it; routed there, nothing new starts")
    func acquireFindsItsShard() async throws {
        let ports = try LoopbackPorts.pick()
        let (responder, plane) = try Self.responder(ports: ports)
        try await responder.start().get()
        let initiators = try await Self.connect(8, ports: ports)
        @Sendable func toClient(_ index: Int) -> TrafficRequest {
            TrafficRequest(
                source: IPAddress("127.0.0.1")!, destination: IPAddress("127.0.0.\(10 + index)")!, ipProtocol: 6,
                destinationPort: 3389)
        }
        // Routed: each client's Main Mode already carries the traffic, so nothing new starts.
        for index in initiators.indices { try await responder.submit(.acquire(toClient(index))).get() }
        try await Task.sleep(for: .seconds(1))
        #expect(try await responder.inspect { $0.database.mainModeCount }.get().reduce(0, +) == 8)
        #expect(plane.snapshot.installed.count == 16)

        // Exactly the shard with the client's MM SA claims each acquire.
        for index in initiators.indices {
            let client = IPAddress("127.0.0.\(10 + index)")!
            let claims = try await responder.inspect { endpoint in
                (
                    endpoint.holdsMainMode(for: toClient(index)),
                    !endpoint.database.mainModes(matching: MainModeSAFilter(remoteAddress: AddressRange(client)))
                        .isEmpty
                )
            }.get()
            #expect(claims.filter(\.0).count == 1 && claims.allSatisfy { $0.0 == $0.1 }, "\(claims)")
        }
        for (driver, _, _) in initiators { try await driver.shutdown().get() }
        try await responder.shutdown().get()
    }

    @Test(
        "A flood spread over both shards: DoS-cookie mode on each, one 4646 for the daemon, state bounded, clients through"
    )
    func floodOverShards() async throws {
        let ports = try LoopbackPorts.pick()
        let (responder, plane) = try Self.responder(ports: ports) { $0.denialOfServiceThreshold = 40 }
        try await responder.start().get()
        // A real #1 of the initiator's, copied with random cookies from 20 addresses.
        let (_, _, configuration) = try EndpointDriverTests.driver(LoopbackConfiguration.initiator(.ntlm, ports: ports))
        var endpoint = Endpoint(configuration: try configuration.endpointConfiguration(), random: SystemRandomSource())
        let first = try #require(
            endpoint.handle(.acquire(configuration.acquire[0]), now: Date()).compactMap { output in
                if case let .send(bytes, _, to) = output { (bytes, to) } else { nil }
            }.first)
        let flood = FirstMessageFlood(
            message: first.0, destination: first.1, datagrams: 400,
            sources: (0..<20).map { IPAddress("127.0.1.\(1 + $0)")! })
        #expect(flood.run() == 400)

        let pressed = try await eventually(within: 5) {
            let modes = (try? responder.inspect { $0.isInDenialOfServiceMode }.wait()) ?? []
            return modes == [true, true]
        }
        #expect(pressed, "both shards in DoS-cookie mode")
        #expect(plane.snapshot.eventIDs.filter { $0 == 4646 }.count == 1, "\(plane.snapshot.eventIDs)")
        let sessions = try await responder.inspect { $0.sessionCount }.get()
        #expect(sessions.allSatisfy { $0 <= 20 } && sessions.reduce(0, +) <= 40, "\(sessions)")

        // Legitimate clients answer the cookie and get through on either shard.
        let initiators = try await Self.connect(6, ports: ports)
        #expect(initiators.allSatisfy { $0.1.snapshot.installed.count == 2 })
        for (driver, _, _) in initiators { try await driver.shutdown().get() }
        try await responder.shutdown().get()
    }
}
