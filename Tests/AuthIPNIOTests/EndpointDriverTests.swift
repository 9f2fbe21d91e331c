import AuthIP
import AuthIPNIO
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

@Suite("EndpointDriver on loopback")
struct EndpointDriverTests {
    /// A driver for one side of `LoopbackConfiguration`, with its recording delegate.
    static func driver(
        _ json: String, settings adjust: (inout EndpointSettings) -> Void = { _ in },
        clock: @escaping @Sendable () -> Date = Date.init
    ) throws -> (EndpointDriver, RecordingDataPlane, DriverConfiguration) {
        let configuration = try DriverConfiguration(json: Data(json.utf8), baseDirectory: TestVectors.directory)
        var endpointConfiguration = try configuration.endpointConfiguration()
        adjust(&endpointConfiguration.settings)
        let dataPlane = RecordingDataPlane()
        let driver = EndpointDriver(
            configuration: endpointConfiguration, localAddresses: configuration.localAddresses,
            delegate: dataPlane, clock: clock)
        return (driver, dataPlane, configuration)
    }

    /// A clock that runs from `start` at the pace of the real one.
    static func clock(from start: Date) -> @Sendable () -> Date {
        let offset = start.timeIntervalSinceNow
        return { Date(timeIntervalSinceNow: offset) }
    }

    @Test("Two drivers negotiate NTLM over real sockets; each data plane gets both directions with matching keys")
    func twoDriversEstablishQuickModeSAs() async throws {
        let ports = try LoopbackPorts.pick()
        let (responder, responderPlane, _) = try Self.driver(LoopbackConfiguration.responder(.ntlm, ports: ports))
        let (initiator, initiatorPlane, initiatorConfiguration) = try Self.driver(
            LoopbackConfiguration.initiator(.ntlm, ports: ports))
        try await responder.start().get()
        try await initiator.start().get()
        try await initiator.submit(.acquire(initiatorConfiguration.acquire[0])).get()

        let established = try await eventually(within: 10) {
            initiatorPlane.snapshot.installed.count == 2 && responderPlane.snapshot.installed.count == 2
        }
        #expect(established, "initiator \(initiatorPlane.snapshot), responder \(responderPlane.snapshot)")
        for (sender, receiver) in [
            (initiatorPlane.snapshot, responderPlane.snapshot), (responderPlane.snapshot, initiatorPlane.snapshot),
        ] {
            let outbound = try #require(sender.installed.first { $0.direction == .outbound })
            let inbound = try #require(receiver.installed.first { $0.direction == .inbound && $0.spi == outbound.spi })
            #expect(inbound.encryptionKey == outbound.encryptionKey && inbound.cipher == outbound.cipher)
            #expect(outbound.outerSource.port == ports.ike && outbound.outerDestination.port == ports.ike)
        }
        #expect(initiatorPlane.snapshot.eventIDs.contains(5451) && responderPlane.snapshot.eventIDs.contains(5451))

        try await initiator.shutdown().get()
        let deleted = try await eventually(within: 5) { responderPlane.snapshot.removedSPIs.count == 2 }
        #expect(deleted, "the initiator's delete reached the responder")
        try await responder.shutdown().get()
        #expect(initiatorPlane.snapshot.sendFailures.isEmpty && responderPlane.snapshot.sendFailures.isEmpty)
    }

    @Test("Without a responder the initiator retransmits on its wake-ups until Main Mode fails (4653)")
    func unansweredInitiatorTimesOut() async throws {
        let ports = try LoopbackPorts.pick()
        let (initiator, dataPlane, configuration) = try Self.driver(
            LoopbackConfiguration.initiator(.ntlm, ports: ports)
        ) { settings in
            settings.retransmitInterval = .milliseconds(20)
            settings.maximumFirstMessageRetransmissions = 2
        }
        try await initiator.start().get()
        try await initiator.submit(.acquire(configuration.acquire[0])).get()
        let failed = try await eventually(within: 5) { dataPlane.snapshot.eventIDs.contains(4653) }
        #expect(failed, "events \(dataPlane.snapshot.eventIDs)")
        #expect(dataPlane.snapshot.installed.isEmpty)
        try await initiator.shutdown().get()
    }

    @Test("Strong revocation: the responder's driver downloads the CRL distribution point on the thread pool")
    func strongRevocationDownloadsCRL() async throws {
        // The fixtures' CDP (127.0.0.1:18931) and its CRL, current in November 2026.
        _ = LoopbackHTTPServer.distributionPoints
        let clock = Self.clock(from: try #require(ISO8601DateFormatter().date(from: "2026-11-01T00:00:00Z")))
        let ports = try LoopbackPorts.pick()
        let method = LoopbackConfiguration.Method.certificate(revocation: "strong", client: "client-cdp")
        let (responder, responderPlane, _) = try Self.driver(
            LoopbackConfiguration.responder(method, ports: ports), clock: clock)
        let (initiator, initiatorPlane, configuration) = try Self.driver(
            LoopbackConfiguration.initiator(method, ports: ports), clock: clock)
        try await responder.start().get()
        try await initiator.start().get()
        try await initiator.submit(.acquire(configuration.acquire[0])).get()
        let established = try await eventually(within: 10) {
            initiatorPlane.snapshot.installed.count == 2 && responderPlane.snapshot.installed.count == 2
        }
        #expect(
            established, "initiator \(initiatorPlane.snapshot.eventIDs), responder \(responderPlane.snapshot.eventIDs)")
        try await initiator.shutdown().get()
        try await responder.shutdown().get()
    }

    @Test("A port already bound fails start() with bindFailed and leaves nothing bound")
    func startFailsOnBoundPort() async throws {
        let ports = try LoopbackPorts.pick()
        let (first, _, _) = try Self.driver(LoopbackConfiguration.responder(.ntlm, ports: ports))
        try await first.start().get()
        var second: EndpointDriver? = try Self.driver(LoopbackConfiguration.responder(.ntlm, ports: ports)).0
        await #expect {
            try await second?.start().get()
        } throws: { error in
            guard case .bindFailed(let address, _) = error as? EndpointDriverError else { return false }
            return address.ip == IPAddress(LoopbackConfiguration.responderAddress)
        }
        // Nothing of the failed driver stays behind: its half-made channels are closed, and it goes.
        weak let released = second
        second = nil
        #expect(try await eventually(within: 5) { released == nil }, "the failed driver is still referenced")
        try await first.shutdown().get()
        let (third, _, _) = try Self.driver(LoopbackConfiguration.responder(.ntlm, ports: ports))
        try await third.start().get()
        try await third.shutdown().get()
    }

    @Test("Inputs before start() and after shutdown() fail with notRunning; a second start() with alreadyStarted")
    func lifecycleErrors() async throws {
        let (driver, _, _) = try Self.driver(LoopbackConfiguration.responder(.ntlm, ports: try LoopbackPorts.pick()))
        await #expect(throws: EndpointDriverError.notRunning) { try await driver.submit(.timer).get() }
        try await driver.start().get()
        try await driver.submit(.timer).get()
        await #expect(throws: EndpointDriverError.alreadyStarted) { try await driver.start().get() }
        try await driver.shutdown().get()
        try await driver.shutdown().get()
        await #expect(throws: EndpointDriverError.notRunning) { try await driver.submit(.timer).get() }
    }
}
