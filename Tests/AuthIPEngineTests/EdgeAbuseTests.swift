import AuthIP
import AuthIPAudit
import AuthIPSimulation
import AuthIPWire
import Foundation
import Testing

/// Forgeries an off-path attacker can make without keys, floods of fragments, and two Quick
/// Modes started from both ends at once.
@Suite("Forged clear messages, DoS-cookie spam, fragment floods, concurrent Quick Modes")
struct EdgeAbuseTests {
    static func establishedFixture() throws -> EngineFixture {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        return fixture
    }

    @Test("A clear NOTIFY_STATUS with a live SA's cookies is dropped on both sides, without an event")
    func forgedClearNotify() throws {
        var fixture = try Self.establishedFixture()
        let record = try #require(
            fixture.serverNode.endpoint.database.mainModes(remoteAddress: fixture.clientAddress).first)
        let eventsBefore = (fixture.clientNode.events.count, fixture.serverNode.events.count)
        for (sequence, reliable) in [(UInt32(1), false), (2, true), (0, false)] {
            let forged = Message(
                header: ISAKMPHeader(
                    initiatorCookie: record.cookies.initiator, responderCookie: record.cookies.responder,
                    exchangeType: .notify),
                payloads: [
                    .crypto(CryptoPayload(sequenceNumber: sequence)),
                    .notify(.status(code: 13801, reliable: reliable)),
                ]
            ).serialized()
            fixture.simulation.inject(.datagram(forged, from: record.remote, to: record.local), into: fixture.server)
            fixture.simulation.inject(.datagram(forged, from: record.local, to: record.remote), into: fixture.client)
        }
        fixture.run(seconds: 30)
        fixture.expectEstablished()
        #expect(
            fixture.clientNode.events.count == eventsBefore.0 && fixture.serverNode.events.count == eventsBefore.1,
            "client \(fixture.clientNode.eventIDs), server \(fixture.serverNode.eventIDs)")
    }

    @Test("Forged DoS-cookie notifies make the initiator re-send its #1 once, not once per forgery")
    func dosCookieSpam() throws {
        var once = EndpointSettings()
        once.negotiationRetries = 0
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            clientSettings: once)
        fixture.simulation.recordsTraffic = true
        fixture.simulation.conditions.loss = 1
        fixture.connect()
        fixture.run(seconds: 0.001)
        let first = try #require(fixture.simulation.trace.first { $0.sender == "CLIENT1" })
        let initiatorCookie = try Message(parsing: first.bytes).header.initiatorCookie
        let sentBefore = fixture.simulation.trace.filter { $0.sender == "CLIENT1" }.count
        for forgery in 1...50 as ClosedRange<UInt64> {
            let notify = Message(
                header: ISAKMPHeader(initiatorCookie: initiatorCookie, exchangeType: .mainMode),
                payloads: [.notify(.dosCookie(forgery &* 0x9E37_79B9_7F4A_7C15 | 1))]
            ).serialized()
            fixture.simulation.inject(.datagram(notify, from: first.to, to: first.from), into: fixture.client)
        }
        #expect(fixture.simulation.trace.filter { $0.sender == "CLIENT1" }.count == sentBefore + 1)
        fixture.run(seconds: 120)
        #expect(
            fixture.clientNode.events(4653).count == 1, "the negotiation times out once: \(fixture.clientNode.eventIDs)"
        )
        #expect(fixture.clientNode.endpoint.sessionCount == 0)
    }

    /// A Fragment payload datagram for a first message (responder cookie 0).
    static func firstFragment(initiatorCookie: UInt64, number: UInt8, bytes: Int = 1_000) -> [UInt8] {
        Message(
            header: ISAKMPHeader(initiatorCookie: initiatorCookie, exchangeType: .mainMode),
            payloads: [
                .fragment(
                    FragmentPayload(
                        fragmentID: 1, number: number, isLast: false,
                        data: Array(repeating: 0xAB, count: bytes)))
            ]
        ).serialized()
    }

    @Test(
        "A flood of first fragments from one address is capped; other peers still connect; DoS mode answers fragments with the cookie"
    )
    func fragmentFlood() throws {
        var settings = EndpointSettings()
        settings.denialOfServiceThreshold = 4
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            ipv4: true, serverSettings: settings)
        fixture.simulation.recordsTraffic = true
        let attacker = EndpointAddress(.v4(IPv4Address(0xC633_6463)), port: 500)
        let server = EndpointAddress(.v4(IPv4Address(0xC633_6401)), port: 500)
        #expect(server.ip == fixture.serverAddress)
        for cookie in 1...5_000 as ClosedRange<UInt64> {
            fixture.simulation.inject(
                .datagram(Self.firstFragment(initiatorCookie: cookie, number: 2), from: attacker, to: server),
                into: fixture.server)
        }
        #expect(fixture.serverNode.endpoint.pendingFragmentedMessages == 2, "a stranger's cap")
        #expect(fixture.serverNode.endpoint.pendingFragmentBytes == 2_000)
        // The legitimate client's certificate flights are fragmented at 576 bytes.
        fixture.connect()
        fixture.run(seconds: 10)
        fixture.expectEstablished()
        // Half-open negotiations from spoofed addresses push the server into DoS mode; a first
        // fragment then gets the cookie and no state.
        for index in 0..<6 as Range<UInt32> {
            var first = try #require(fixture.simulation.trace.first { $0.sender == "CLIENT1" }).bytes
            first[0] = UInt8(index + 1)
            let from = EndpointAddress(.v4(IPv4Address(0xCB00_7100 + index)), port: 500)
            fixture.simulation.inject(.datagram(first, from: from, to: server), into: fixture.server)
        }
        #expect(fixture.serverNode.endpoint.isInDenialOfServiceMode)
        let pending = fixture.serverNode.endpoint.pendingFragmentedMessages
        let sentBefore = fixture.simulation.trace.filter { $0.sender == "DASERVER" }.count
        let stranger = EndpointAddress(.v4(IPv4Address(0xCB00_7163)), port: 500)
        fixture.simulation.inject(
            .datagram(Self.firstFragment(initiatorCookie: 77, number: 1), from: stranger, to: server),
            into: fixture.server)
        #expect(fixture.serverNode.endpoint.pendingFragmentedMessages == pending)
        let reply = try #require(fixture.simulation.trace.last)
        #expect(
            fixture.simulation.trace.filter { $0.sender == "DASERVER" }.count == sentBefore + 1 && reply.to == stranger)
        if case .notify(let notify)? = try Message(parsing: reply.bytes).payloads.first,
            case .dosCookie = notify.content
        {
        } else {
            Issue.record("the reply is not a DoS cookie")
        }
        fixture.run(seconds: 120)
        #expect(
            fixture.serverNode.endpoint.pendingFragmentedMessages == 0,
            "the reassembly timer dropped the attacker's fragments")
    }

    @Test("Both sides start a Quick Mode over the same MM SA at once: both complete, the keys match, nothing fails")
    func concurrentQuickModes() throws {
        var fixture = try Self.establishedFixture()
        let first = try #require(fixture.serverNode.endpoint.database.quickModes().first)
        fixture.simulation.inject(.removeQuickModeSA(id: first.id), into: fixture.server)
        fixture.run(seconds: 5)
        #expect(fixture.clientNode.endpoint.database.quickModeCount == 0)
        fixture.simulation.inject(
            .acquire(
                TrafficRequest(
                    source: fixture.serverAddress, destination: fixture.clientAddress, ipProtocol: 6,
                    destinationPort: 3389)), into: fixture.server)
        fixture.connect()
        fixture.run(seconds: 10)
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.events(4654).isEmpty, "\(node.name): \(node.eventIDs)")
            #expect(node.endpoint.database.mainModeCount == 1)
            #expect((1...2).contains(node.endpoint.database.quickModeCount), "\(node.name) QM SAs")
            #expect(node.installedSACount == 2 * node.endpoint.database.quickModeCount)
            #expect(node.endpoint.negotiationsInProgress == 0)
        }
        #expect(
            fixture.clientNode.endpoint.database.quickModeCount == fixture.serverNode.endpoint.database.quickModeCount)
        let clientSAs = fixture.clientNode.installedSAs.values.flatMap(\.values)
        let serverSAs = fixture.serverNode.installedSAs.values.flatMap(\.values)
        for sa in clientSAs {
            let peer = serverSAs.first { $0.spi == sa.spi && $0.direction != sa.direction }
            #expect(peer?.encryptionKey == sa.encryptionKey && peer?.integrityKey == sa.integrityKey, "SPI \(sa.spi)")
        }
    }
}
