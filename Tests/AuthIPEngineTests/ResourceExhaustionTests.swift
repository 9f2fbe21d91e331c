import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPTrust
import AuthIPWire
import Foundation
import Testing

/// What strangers (spoofed or not) can make a responder spend: fragment memory, negotiations
/// per peer, TLS handshakes.
@Suite("Strangers' floods: the fragment pool, peers by /64, TLS starts")
struct ResourceExhaustionTests {
    /// A first fragment (number 1 of a message that never completes) from `from`.
    static func strangerFragment(cookie: UInt64, bytes: Int = 1_000) -> [UInt8] {
        Message(
            header: ISAKMPHeader(initiatorCookie: cookie, exchangeType: .mainMode),
            payloads: [
                .fragment(
                    FragmentPayload(fragmentID: 1, number: 1, isLast: false, data: Array(repeating: 0xAB, count: bytes))
                )
            ]
        ).serialized()
    }

    @Test(
        "Spoofed first fragments from 10,000 addresses do not stop a TLS negotiation, whose flights are fragmented; DoS mode engages"
    )
    func strangerFragmentFlood() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            ipv4: true)
        let server = EndpointAddress(fixture.serverAddress)
        func flood(_ range: Range<UInt32>) {
            for index in range {
                let from = EndpointAddress(.v4(IPv4Address(0xC612_0000 + index)), port: 500)
                fixture.simulation.inject(
                    .datagram(Self.strangerFragment(cookie: UInt64(index) + 1), from: from, to: server),
                    into: fixture.server)
            }
        }
        flood(0..<5_000)
        fixture.connect()
        for round in 0..<10 as Range<UInt32> {
            fixture.run(seconds: 0.5)
            flood(5_000 + round * 500..<5_500 + round * 500)
        }
        fixture.run(seconds: 10)
        fixture.expectEstablished()
        #expect(fixture.serverNode.endpoint.pendingFragmentedMessages <= 64)
        #expect(
            fixture.serverNode.events(4646).count >= 1,
            "the pool's pressure enters DoS-cookie mode: \(fixture.serverNode.eventIDs)")
    }

    @Test("Fragments from many addresses of one IPv6 /64 count as one peer")
    func oneSlash64() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        let server = EndpointAddress(fixture.serverAddress)
        for index in 1...1_000 as ClosedRange<UInt64> {
            let from = EndpointAddress(.v6(IPv6Address(high: 0x2001_0db8_0bad_0001, low: index)))
            fixture.simulation.inject(
                .datagram(Self.strangerFragment(cookie: index), from: from, to: server), into: fixture.server)
        }
        #expect(fixture.serverNode.endpoint.pendingFragmentedMessages == 2)
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
    }

    /// The #1 of a real initiator with a certificate rule.
    static func certificateTemplate() throws -> [UInt8] {
        var client = EngineFixture.endpoint(
            "CLIENT1", principal: "CLIENT1$@DA.TEST",
            rules: [
                EngineFixture.rule(
                    "client", local: EngineFixture.clientV6, remote: AddressRange(EngineFixture.serverV6),
                    auth: [try EngineFixture.clientCertificate()])
            ], seed: 8)
        let outputs = client.handle(
            .acquire(TrafficRequest(source: EngineFixture.clientV6, destination: EngineFixture.serverV6)),
            now: EngineFixture.start)
        return outputs.compactMap { if case .send(let bytes, _, _) = $0 { return bytes } else { return nil } }[0]
    }

    /// The template #1 with another initiator cookie.
    static func first(_ template: [UInt8], cookie: UInt64) throws -> [UInt8] {
        var message = try Message(parsing: template)
        message.header.initiatorCookie = cookie
        return message.serialized()
    }

    static func responder(settings: EndpointSettings = EndpointSettings()) throws -> Endpoint {
        EngineFixture.endpoint(
            "DASERVER", principal: "host/daserver.da.test@DA.TEST",
            rules: [
                EngineFixture.rule(
                    "server", local: EngineFixture.serverV6, remote: .allIPv6,
                    auth: [try EngineFixture.serverCertificate()])
            ], seed: 9, settings: settings)
    }

    @Test("Negotiations per peer count a whole IPv6 /64; Teredo addresses each count alone")
    func negotiationsPerSlash64() throws {
        let template = try Self.certificateTemplate()
        var server = try Self.responder()
        let local = EndpointAddress(EngineFixture.serverV6)
        for index in 1...40 as ClosedRange<UInt64> {
            let from = EndpointAddress(.v6(IPv6Address(high: 0x2001_0db8_0bad_0002, low: index)))
            _ = server.handle(
                .datagram(try Self.first(template, cookie: index), from: from, to: local), now: EngineFixture.start)
        }
        #expect(server.negotiationsInProgress == EndpointSettings().maximumNegotiationsPerPeer + 1)
        for index in 1...40 as ClosedRange<UInt64> {
            // 2001:0:836b:2::/64: Teredo clients of the server 131.107.0.2 share this prefix.
            let from = EndpointAddress(
                .v6(IPv6Address(high: 0x2001_0000_836b_0002, low: 0x8000_0000_0000_0000 | index)))
            _ = server.handle(
                .datagram(try Self.first(template, cookie: 1_000 + index), from: from, to: local),
                now: EngineFixture.start)
        }
        #expect(server.negotiationsInProgress == EndpointSettings().maximumNegotiationsPerPeer + 1 + 40)
    }

    /// A TLS ClientHello, as a first GSS token.
    static func clientHello() throws -> [UInt8] {
        guard case .certificate(let configuration) = try EngineFixture.clientCertificate() else {
            throw CancellationError()
        }
        let context = try TLSContext(role: .initiator, configuration: configuration)
        var random = SeededRandomSource(seed: 1)
        return try context.step([], now: EngineFixture.start, random: &random).token
    }

    /// Whether the responder answered with a TLS flight (a GSS token, or the fragments of one).
    static func answersWithHandshake(_ outputs: [EndpointOutput]) -> Bool {
        outputs.contains { output in
            guard case .send(let bytes, _, _) = output, let message = try? Message(parsing: bytes) else { return false }
            if case .fragment? = message.payloads.first { return true }
            return HostileInitiator.gssPayload(bytes)?.token.isEmpty == false
        }
    }

    @Test("One negotiation restarts TLS at most three times, however often the initiator asks")
    func startsPerMethod() throws {
        let template = try Self.certificateTemplate()
        var server = try Self.responder()
        let local = EndpointAddress(EngineFixture.serverV6), from = EndpointAddress(EngineFixture.clientV6)
        let second = server.handle(
            .datagram(try Self.first(template, cookie: 77), from: from, to: local), now: EngineFixture.start)
        let answer = try #require(
            second.compactMap { if case .send(let bytes, _, _) = $0 { return bytes } else { return nil } }.first)
        let responderCookie = try Message(parsing: answer).header.responderCookie
        var handshakes = 0
        for sequence in 1...8 as ClosedRange<UInt32> {
            let flags: GSSFlags = sequence == 1 ? .newExchange : [.newExchange, .retryCurrentAuthentication]
            let request = Message(
                header: ISAKMPHeader(initiatorCookie: 77, responderCookie: responderCookie, exchangeType: .mainMode),
                payloads: [
                    .crypto(CryptoPayload(sequenceNumber: sequence)),
                    .gss(GSSPayload(token: try Self.clientHello(), flags: flags)),
                ]
            ).serialized()
            if Self.answersWithHandshake(
                server.handle(.datagram(request, from: from, to: local), now: EngineFixture.start))
            {
                handshakes += 1
            }
        }
        #expect(handshakes == EndpointSettings().maximumStartsPerMethod)
    }

    @Test(
        "TLS starts per peer are rate-limited: a burst from one /64 gets 16 handshakes, the rest are dropped until the rate allows"
    )
    func tlsStartRate() throws {
        let template = try Self.certificateTemplate()
        var server = try Self.responder()
        let local = EndpointAddress(EngineFixture.serverV6)
        var handshakes = 0
        var now = EngineFixture.start
        func start(_ index: UInt64) throws {
            let from = EndpointAddress(.v6(IPv6Address(high: 0x2001_0db8_0bad_0003, low: index)))
            let second = server.handle(
                .datagram(try Self.first(template, cookie: index), from: from, to: local), now: now)
            guard
                let answer = second.compactMap({
                    if case .send(let bytes, _, let to) = $0, to == from { return bytes } else { return nil }
                }).first
            else { return }
            let request = Message(
                header: ISAKMPHeader(
                    initiatorCookie: index, responderCookie: try Message(parsing: answer).header.responderCookie,
                    exchangeType: .mainMode),
                payloads: [
                    .crypto(CryptoPayload(sequenceNumber: 1)),
                    .gss(GSSPayload(token: try Self.clientHello(), flags: .newExchange)),
                ]
            ).serialized()
            if Self.answersWithHandshake(server.handle(.datagram(request, from: from, to: local), now: now)) {
                handshakes += 1
            } else {
                dropped.append((request, from))
            }
        }
        var dropped: [([UInt8], EndpointAddress)] = []
        for index in 1...30 as ClosedRange<UInt64> { try start(index) }
        #expect(handshakes == 16)
        #expect(server.rateLimitedTLSStarts == 14)
        now = now.addingTimeInterval(1)
        for index in 31...40 as ClosedRange<UInt64> { try start(index) }
        #expect(handshakes == 16 + 4, "four a second")
        // A dropped start left no trace: its retransmission is taken once the rate allows.
        now = now.addingTimeInterval(1)
        let (request, from) = try #require(dropped.first)
        #expect(Self.answersWithHandshake(server.handle(.datagram(request, from: from, to: local), now: now)))
    }
}
