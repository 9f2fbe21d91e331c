import AuthIPAudit
import AuthIPErrors
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPWire
import Testing

@testable import AuthIP

/// `EndpointInput.reconfigure` (`authip reload`): what stays under a rule that remains, what
/// goes with a rule that does not.
@Suite("Reconfiguration")
struct ReconfigurationTests {
    static func established() throws -> EngineFixture {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        return fixture
    }

    /// The server's configuration with its rules changed.
    static func serverConfiguration(
        _ fixture: EngineFixture, _ change: (inout [ConnectionSecurityRule]) -> Void
    ) -> EndpointConfiguration {
        var configuration = fixture.serverNode.endpoint.configuration
        change(&configuration.rules)
        return configuration
    }

    /// A rule that matches nothing of the fixture's.
    static let unrelated = EngineFixture.rule(
        "unrelated", local: IPAddress("2001:db8:77::1")!, remote: AddressRange(IPAddress("2001:db8:78::1")!),
        auth: [.anonymous])

    @Test("A rule that remains, moved behind a new one: the SAs stay, and a new Quick Mode on them works")
    func ruleKept() throws {
        var fixture = try Self.established()
        let configuration = Self.serverConfiguration(fixture) { $0.insert(Self.unrelated, at: 0) }
        fixture.simulation.inject(.reconfigure(configuration), into: fixture.server)
        fixture.run()
        fixture.expectEstablished()
        #expect(fixture.serverNode.endpoint.configuration.rules.map(\.name) == ["unrelated", "server"])
        // Another packet: a second Quick Mode on the same MM SA, under the rule at its new place.
        fixture.connect(protocol: 17, port: 53)
        fixture.run()
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 1)
        #expect(
            fixture.serverNode.endpoint.database.quickModes().allSatisfy { $0.mainModeID == 1 }
                && fixture.serverNode.events(4654).isEmpty, "\(fixture.serverNode.eventIDs)")
    }

    @Test("A rule that is gone: its MM SA and QM SAs removed on both sides, the peer told; new peers refused")
    func ruleRemoved() throws {
        var fixture = try Self.established()
        let configuration = Self.serverConfiguration(fixture) { $0 = [Self.unrelated] }
        fixture.simulation.inject(.reconfigure(configuration), into: fixture.server)
        fixture.run()
        fixture.expectNothingLeft()
        #expect(fixture.serverNode.events(4655).count == 1 && fixture.clientNode.events(4655).count == 1)
        #expect(fixture.serverNode.endpoint.sessionCount == 0)
        // The removed rule stayed, matching nothing, while its session waited for the peer's
        // acknowledgements; the next reconfiguration no longer carries it.
        #expect(fixture.serverNode.endpoint.context.rules.map(\.name) == ["unrelated", "server"])
        fixture.simulation.inject(.reconfigure(configuration), into: fixture.server)
        #expect(fixture.serverNode.endpoint.context.rules.map(\.name) == ["unrelated"])
    }

    @Test("A negotiation under a rule that goes fails with ERROR_IPSEC_IKE_POLICY_CHANGE, nothing left")
    func negotiationFails() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        // Until the server answered #1, but no further.
        for _ in 0..<200 where fixture.serverNode.endpoint.sessionCount == 0 {
            fixture.simulation.run(for: .microseconds(100))
        }
        try #require(
            fixture.serverNode.endpoint.sessionCount == 1 && fixture.serverNode.endpoint.database.mainModeCount == 0)
        let configuration = Self.serverConfiguration(fixture) { $0 = [Self.unrelated] }
        fixture.simulation.inject(.reconfigure(configuration), into: fixture.server)
        fixture.run(seconds: 60)
        #expect(
            fixture.serverNode.failureReason(4653) ?? fixture.serverNode.failureReason(4652)
                == WindowsError.errorIpsecIkePolicyChange.text, "\(fixture.serverNode.eventIDs)")
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
        #expect(fixture.serverNode.endpoint.sessionCount == 0 && fixture.serverNode.installedSACount == 0)
    }
}
