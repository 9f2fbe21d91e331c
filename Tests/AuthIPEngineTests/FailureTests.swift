import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPNIO
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPTrust
import AuthIPWire
import Foundation
import Testing

@Suite("Every failure path ends with its event and code, and leaves nothing behind")
struct FailureTests {
    @Test("No Main Mode proposal in common: 4653 ERROR_IPSEC_IKE_ATTRIB_FAIL on both sides")
    func noMainModeProposal() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            clientMainMode: MainModeCryptoSet(proposals: [
                MainModeProposal(cipher: .tripleDES, hash: .sha1, group: .modp2048)
            ]),
            serverMainMode: MainModeCryptoSet(proposals: [
                MainModeProposal(cipher: .aes256, hash: .sha256, group: .ecp256)
            ]))
        fixture.connect()
        fixture.run()
        #expect(fixture.clientNode.eventIDs == [4653])
        #expect(fixture.serverNode.eventIDs == [4653])
        #expect(fixture.clientNode.failureReason(4653) == WindowsError.errorIpsecIkeAttribFail.text)
        #expect(fixture.clientNode.field("FailurePoint", of: 4653) == "Remote computer")
        #expect(fixture.serverNode.field("FailurePoint", of: 4653) == "Local computer")
        fixture.expectNothingLeft()
    }

    @Test("A wrong NTLM password: 4653 with SEC_E_LOGON_DENIED, local at the responder, remote at the initiator")
    func wrongPassword() throws {
        var fixture = EngineFixture(
            clientAuth: [EngineFixture.ntlmClient(password: "wrong")], serverAuth: [try EngineFixture.ntlmServer()])
        fixture.connect()
        fixture.run()
        #expect(fixture.serverNode.failureReason(4653) == WindowsError.secELogonDenied.text)
        #expect(fixture.clientNode.failureReason(4653) == WindowsError.secELogonDenied.text)
        #expect(fixture.serverNode.field("MMAuthMethod", of: 4653) == "NTLM V2")
        #expect(fixture.clientNode.field("FailurePoint", of: 4653) == "Remote computer")
        fixture.expectNothingLeft()
    }

    @Test("A revoked client certificate, weak checking with the CRL cached: 4652 CRYPT_E_REVOKED with the certificate")
    func revokedWeak() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate(["client-revoked"])],
            serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        #expect(fixture.serverNode.eventIDs == [4652])
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.cryptERevoked.text)
        #expect(fixture.serverNode.field("RemoteMMCertHash", of: 4652)?.count == 40)
        #expect(fixture.clientNode.eventIDs == [4652])
        fixture.expectNothingLeft()
    }

    @Test("Strong checking downloads the CRL over HTTP; with the distribution point offline the certificate fails")
    func strongRevocation() throws {
        let server = try #require(LoopbackHTTPServer.distributionPoints)
        _ = server
        var online = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate(["client-cdp"])],
            serverAuth: [try EngineFixture.serverCertificate(revocation: .strong, cache: CRLCache())])
        online.simulation.crlServer = { CRLDownloader().fetch($0) }
        online.connect()
        online.run()
        online.expectEstablished()

        var offline = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate(["client-cdp"])],
            serverAuth: [try EngineFixture.serverCertificate(revocation: .strong, cache: CRLCache())])
        offline.connect()
        offline.run()
        #expect(offline.serverNode.failureReason(4652) == WindowsError.cryptERevocationOffline.text)
        offline.expectNothingLeft()
    }

    @Test(
        "A silent responder: the initiator retries #1 three times, then 4653 ERROR_IPSEC_IKE_TIMED_OUT; three new negotiations after 1, 2 and 4 s, then nothing"
    )
    func silentResponder() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.simulation.conditions.loss = 1
        fixture.connect()
        fixture.run(seconds: 29)
        #expect(fixture.clientNode.sentDatagrams == 4)
        #expect(fixture.clientNode.events.isEmpty)
        // #1 at 0 s, again at 2, 6 and 14 s; the last wait ends at 30 s.
        fixture.run(seconds: 1.5)
        #expect(fixture.clientNode.failureReason(4653) == WindowsError.errorIpsecIkeTimedOut.text)
        #expect(fixture.clientNode.field("State", of: 4653)?.contains("first") == true)
        // The traffic is still waiting: a new Main Mode (new cookies) 1 s after the failure.
        #expect(fixture.clientNode.endpoint.sessionCount == 0)
        fixture.run(seconds: 1)
        #expect(fixture.clientNode.endpoint.sessionCount == 1 && fixture.clientNode.sentDatagrams == 5)
        fixture.run(seconds: 150)
        #expect(fixture.clientNode.events(4653).count == 4, "\(fixture.clientNode.eventIDs)")
        #expect(fixture.clientNode.sentDatagrams == 16)
        fixture.run(seconds: 600)
        #expect(fixture.clientNode.sentDatagrams == 16, "no negotiation after the last retry")
        fixture.expectNothingLeft()
    }

    @Test("An initiator that goes quiet after #1: the responder gives up after 60 s with 4652 and a NOTIFY_STATUS")
    func responderTimeout() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run(seconds: 0.015)
        // From now on nothing reaches the server.
        fixture.simulation.conditions.loss = 1
        fixture.run(seconds: 59)
        #expect(fixture.serverNode.events.isEmpty)
        fixture.run(seconds: 5)
        #expect(
            fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeTimedOut.text,
            "certificates were being used")
        // (The client negotiates again meanwhile; its datagrams are lost too.)
        let last = try #require(fixture.simulation.trace.last { $0.sender == "DASERVER" })
        #expect(last.time > EngineFixture.start.addingTimeInterval(59))
        let notify = try Message(parsing: last.bytes)
        #expect(notify.header.exchangeType == .notify)
        fixture.run(seconds: 120)
        fixture.expectNothingLeft()
    }

    @Test("No Quick Mode proposal in common: the MM SA stands, 4654 on both sides, no QM SA")
    func noQuickModeProposal() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            clientQuickMode: QuickModeCryptoSet(proposals: [QuickModeProposal(cipher: .tripleDES, integrity: .md5)]))
        fixture.connect()
        fixture.run()
        #expect(fixture.clientNode.eventIDs == [4651, 4654])
        #expect(fixture.serverNode.eventIDs == [4651, 4654])
        #expect(fixture.serverNode.failureReason(4654) == WindowsError.errorIpsecIkeAttribFail.text)
        #expect(fixture.clientNode.field("FailurePoint", of: 4654) == "Remote computer")
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(
                node.endpoint.database.mainModeCount == 1 && node.endpoint.database.quickModeCount == 0
                    && node.installedSACount == 0)
        }
    }

    @Test("A tampered ICV and an undecodable message on a live SA: 4976 / 4977, the SA unharmed")
    func tamperedMessages() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        let sync = try #require(
            fixture.simulation.trace.first { $0.sender == "CLIENT1" && $0.bytes[18] == ExchangeType.quickMode.rawValue }
        )
        var tampered = sync.bytes
        tampered[tampered.count - 1] ^= 0x01
        fixture.simulation.inject(.datagram(tampered, from: sync.from, to: sync.to), into: fixture.server)
        #expect(fixture.serverNode.events(4977).count == 1)
        var truncated = sync.bytes
        truncated.removeLast(5)
        fixture.simulation.inject(.datagram(truncated, from: sync.from, to: sync.to), into: fixture.server)
        #expect(fixture.serverNode.events(4977).count + fixture.serverNode.events(4976).count == 2)
        // A message naming no SA is dropped without an event.
        var stranger = sync.bytes
        stranger[0] ^= 0xFF
        fixture.simulation.inject(.datagram(stranger, from: sync.from, to: sync.to), into: fixture.server)
        #expect(fixture.serverNode.events(4977).count + fixture.serverNode.events(4976).count == 2)
        fixture.expectEstablished()
    }

    @Test("A replayed Quick Mode message is refused with 4977")
    func replay() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run()
        // A later QM (rekey) moves the peer's sequence on; then the first QM's messages are old.
        let first = try #require(
            fixture.simulation.trace.first { $0.sender == "CLIENT1" && $0.bytes[18] == ExchangeType.quickMode.rawValue }
        )
        fixture.run(seconds: 3600)
        let before = fixture.serverNode.events(4977).count
        fixture.simulation.inject(.datagram(first.bytes, from: first.from, to: first.to), into: fixture.server)
        #expect(fixture.serverNode.events(4977).count == before + 1)
    }
}
