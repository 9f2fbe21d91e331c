import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

@Suite("Loss, duplication, reordering, limits, DoS mode and bad input")
struct RobustnessTests {
    @Test("5% loss with duplication and reordering still converges, with every seed", arguments: 1...12)
    func lossyNetwork(seed: UInt64) throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            conditions: NetworkConditions(
                loss: 0.05, duplication: 0.05, reordering: 0.1, latency: .milliseconds(20),
                jitter: .milliseconds(30)),
            seed: seed)
        fixture.connect()
        fixture.run(seconds: 120)
        fixture.expectEstablished()
        #expect(fixture.clientNode.events(4653).isEmpty && fixture.serverNode.events(4653).isEmpty)
    }

    @Test(
        "Heavy loss that still lets messages through: each negotiation ends, established on both sides or failed with its event, and nothing lingers",
        arguments: [21, 22, 23] as [UInt64])
    func heavyLoss(seed: UInt64) throws {
        var fixture = EngineFixture(
            clientAuth: [EngineFixture.ntlmClient()], serverAuth: [try EngineFixture.ntlmServer()], ipv4: true,
            conditions: NetworkConditions(loss: 0.3, duplication: 0.2, reordering: 0.2), seed: seed)
        fixture.connect()
        fixture.run(seconds: 300)
        let client = fixture.clientNode, server = fixture.serverNode
        let failures = client.eventIDs.filter { [4652, 4653, 4654].contains($0) }
        if client.endpoint.database.quickModeCount == 1 {
            #expect(server.endpoint.database.quickModeCount == 1 && server.endpoint.database.mainModeCount == 1)
        } else {
            #expect(
                !failures.isEmpty, "a negotiation that did not establish must fail with an event: \(client.eventIDs)")
        }
        #expect(client.endpoint.negotiationsInProgress == 0, "the initiator is not stuck")
        fixture.simulation.conditions = .ideal
        fixture.run(seconds: 600)
        #expect(fixture.serverNode.endpoint.negotiationsInProgress == 0, "half-open state expires")
    }

    @Test("The per-peer limit (35 negotiations in progress by default, 3 here) drops the peer's further #1s")
    func perPeerLimit() throws {
        var settings = EndpointSettings()
        settings.maximumNegotiationsPerPeer = 3
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverSettings: settings)
        fixture.simulation.recordsTraffic = true
        fixture.simulation.conditions.loss = 1
        fixture.connect()
        fixture.run(seconds: 0.001)
        let first = try #require(fixture.simulation.trace.first)
        for cookie in 1...10 as ClosedRange<UInt8> {
            var copy = first.bytes
            copy[0] = cookie
            fixture.simulation.inject(.datagram(copy, from: first.from, to: first.to), into: fixture.server)
        }
        #expect(
            fixture.serverNode.endpoint.negotiationsInProgress == 4,
            "a #1 is dropped when the peer has more than 3 in progress")
        fixture.run(seconds: 120)
        #expect(fixture.serverNode.endpoint.negotiationsInProgress == 0)
        #expect(fixture.serverNode.endpoint.sessionCount == 0)
    }

    @Test(
        "Above the half-open threshold the responder answers with DoS cookies (4646), legitimate clients still get in, and the mode ends"
    )
    func denialOfServiceMode() throws {
        var settings = EndpointSettings()
        settings.denialOfServiceThreshold = 8
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverSettings: settings)
        fixture.simulation.recordsTraffic = true
        // A flood of #1s from spoofed addresses, each a half-open SA until DoS mode engages.
        var attacker = EngineFixture.endpoint(
            "ATTACKER", principal: "x",
            rules: [
                EngineFixture.rule(
                    "a", local: IPAddress("2001:db8:bad::1")!, remote: .allIPv6,
                    auth: [try EngineFixture.clientCertificate()])
            ], seed: 99)
        let outputs = attacker.handle(
            .acquire(TrafficRequest(source: IPAddress("2001:db8:bad::1")!, destination: fixture.serverAddress)),
            now: EngineFixture.start)
        guard case .send(let flood, _, let to)? = outputs.first else { Issue.record("no #1"); return }
        for index in 0..<20 as Range<UInt16> {
            var copy = flood
            copy[0] = UInt8(index >> 8)
            copy[1] = UInt8(index & 0xFF)
            let from = EndpointAddress(.v6(IPv6Address(high: 0x2001_0db8_0bad_0000, low: UInt64(index) + 2)))
            fixture.simulation.inject(.datagram(copy, from: from, to: to), into: fixture.server)
        }
        #expect(fixture.serverNode.endpoint.isInDenialOfServiceMode)
        #expect(fixture.serverNode.events(4646).count == 1)
        #expect(fixture.serverNode.endpoint.negotiationsInProgress == 8, "no state for the cookie replies")
        fixture.connect()
        fixture.run(seconds: 10)
        #expect(fixture.clientNode.endpoint.database.quickModeCount == 1, "the client re-sent #1 with the cookie")
        fixture.run(seconds: 120)
        #expect(!fixture.serverNode.endpoint.isInDenialOfServiceMode)
        #expect(fixture.serverNode.field("DoSState", of: 4646) != nil || fixture.serverNode.events(4646).count == 2)
        #expect(fixture.serverNode.events(4646).count == 2)
        #expect(fixture.serverNode.endpoint.negotiationsInProgress == 0)
    }

    @Test("Garbage and mutated datagrams never crash, never create an SA")
    func garbage() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run()
        let trace = fixture.simulation.trace
        var random = SeededRandomSource(seed: 7)
        for _ in 0..<3_000 {
            let original = trace[Int(random.next() % UInt64(trace.count))]
            var bytes = original.bytes
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let index = Int(random.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: random.next())
            }
            if random.next() % 5 == 0 { bytes.removeLast(Int(random.next() % UInt64(bytes.count))) }
            let target = original.sender == "CLIENT1" ? fixture.server : fixture.client
            fixture.simulation.inject(.datagram(bytes, from: original.from, to: original.to), into: target)
        }
        // Mutations behind the Crypto payload fail their ICV: the live SAs stand, and the bad
        // packets are reported.
        fixture.expectEstablished()
        let invalid = [fixture.clientNode, fixture.serverNode].flatMap(\.eventIDs).filter {
            [4976, 4977, 4978].contains($0)
        }
        #expect(invalid.count > 100, "invalid packets reported: \(invalid.count)")
        fixture.run(seconds: 300)
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.endpoint.negotiationsInProgress == 0, "\(node.name): nothing half-open is left to linger")
        }
    }
}

@Suite("The SA database: removal by identity, lifetimes, rekey, shutdown")
struct LifetimeTests {
    @Test("Removing the client's MM SA by identity takes its QM SA along and tells the peer, who removes its SAs too")
    func removeByIdentity() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        let filter = MainModeSAFilter(remoteIdentity: WildcardPattern("*client1*")!)
        #expect(fixture.serverNode.endpoint.database.mainModes(matching: filter).count == 1)
        fixture.simulation.inject(.removeMainModeSAs(filter), into: fixture.server)
        #expect(
            fixture.serverNode.endpoint.database.mainModeCount == 0
                && fixture.serverNode.endpoint.database.quickModeCount == 0)
        #expect(fixture.serverNode.installedSACount == 0, "gone from the data plane at once")
        #expect(fixture.serverNode.eventIDs.suffix(2) == [5452, 4655])
        fixture.run(seconds: 5)
        #expect(fixture.clientNode.eventIDs.suffix(2) == [5452, 4655], "\(fixture.clientNode.eventIDs)")
        fixture.expectNothingLeft()
    }

    @Test("Quick Mode SAs are rekeyed before they expire; the old ones end; the MM SA expires with its QM SAs")
    func lifetimes() throws {
        let mainMode = MainModeCryptoSet(proposals: MainModeCryptoSet.windowsDefault.proposals, lifetimeSeconds: 1_000)
        let quickMode = QuickModeCryptoSet(proposals: QuickModeCryptoSet.windowsDefault.proposals, lifetimeSeconds: 300)
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            clientMainMode: mainMode, serverMainMode: mainMode, clientQuickMode: quickMode, serverQuickMode: quickMode)
        fixture.connect()
        fixture.run(seconds: 250)
        #expect(fixture.clientNode.endpoint.database.quickModeCount == 2, "the rekey at 240 s overlaps the old SA")
        fixture.run(seconds: 60)
        #expect(fixture.clientNode.endpoint.database.quickModeCount == 1)
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 1)
        #expect(fixture.clientNode.events(5451).count == 2 && fixture.clientNode.events(5452).count == 1)
        fixture.run(seconds: 800)
        #expect(fixture.clientNode.events(4655).count == 1 && fixture.serverNode.events(4655).count == 1)
        fixture.expectNothingLeft()
    }

    @Test("A data plane's byte counts: at the kilobyte lifetime the initiator's QM SA is replaced by a rekey")
    func kilobyteLifetime() throws {
        let quickMode = QuickModeCryptoSet(
            proposals: QuickModeCryptoSet.windowsDefault.proposals, lifetimeSeconds: 3_600, lifetimeKilobytes: 64)
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            clientQuickMode: quickMode, serverQuickMode: quickMode)
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        let old = try #require(fixture.clientNode.endpoint.database.quickModes().first)
        fixture.simulation.inject(
            .bytesTransferred(quickModeSAID: old.id, inbound: false, bytes: 40 * 1024), into: fixture.client)
        #expect(fixture.clientNode.endpoint.database.quickMode(id: old.id) != nil, "below the lifetime")
        fixture.simulation.inject(
            .bytesTransferred(quickModeSAID: old.id, inbound: false, bytes: 30 * 1024), into: fixture.client)
        #expect(fixture.clientNode.endpoint.database.quickMode(id: old.id) == nil, "the SA ends at 64 KB")
        fixture.run(seconds: 5)
        let replacement = fixture.clientNode.endpoint.database.quickModes()
        #expect(replacement.count == 1 && replacement.first?.id != old.id, "the rekey's SA replaces it")
        #expect(fixture.clientNode.events(5451).count == 2, "\(fixture.clientNode.eventIDs)")
    }

    @Test("Shutdown tells the peer and removes everything on both sides")
    func shutdown() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        fixture.simulation.inject(.shutdown, into: fixture.client)
        fixture.run(seconds: 5)
        #expect(fixture.serverNode.eventIDs.suffix(2) == [5452, 4655])
        fixture.expectNothingLeft()
    }

    @Test("The netsh-style tables show the SAs")
    func tables() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        let mm = fixture.serverNode.endpoint.database.mainModeTable()
        #expect(mm.contains("2001:db8:c::7") && mm.contains("ComputerCert"), "\(mm)")
        let qm = fixture.serverNode.endpoint.database.quickModeTable()
        #expect(qm.contains("ESP"), "\(qm)")
    }
}
