import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

@Suite("Main Mode and Quick Mode establish with each method, both roles")
struct EstablishmentTests {
    @Test("Certificates (TLS) in Main Mode: 4651 and 5451 on both sides, matching keys")
    func certificates() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.eventIDs == [4651, 5451], "\(node.name): \(node.eventIDs)")
            #expect(node.field("MMAuthMethod", of: 4651) == "SSL")
        }
        let client = fixture.clientNode.endpoint.database.mainModes()[0]
        #expect(client.role == .initiator && client.authenticationMethod == .tls)
        #expect(client.remoteIdentity?.contains("CN=DASERVER") == true, "\(client.remoteIdentity ?? "-")")
        let server = fixture.serverNode.endpoint.database.mainModes()[0]
        #expect(
            server.role == .responder && server.remoteIdentity?.contains("CN=CLIENT1") == true,
            "\(server.remoteIdentity ?? "-")")
        #expect(client.cookies == server.cookies)
        let qm = fixture.clientNode.endpoint.database.quickModes()[0]
        #expect(qm.localSelector.addresses == AddressRange(fixture.clientAddress))
        #expect(qm.cipher == .aesGCM256 && qm.encapsulation == .transport)
    }

    @Test("Kerberos in Main Mode against the test KDC: 4650 with the user principal at the responder")
    func kerberos() throws {
        let realm = try KerberosRealm.shared.get()
        var fixture = EngineFixture(
            clientAuth: [.kerberos(initiator: .cache(realm.cache("cc_alice")), acceptor: nil)],
            serverAuth: [.kerberos(initiator: nil, acceptor: .keytab(realm.serverKeytab))])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(fixture.clientNode.eventIDs == [4650, 5451])
        #expect(fixture.serverNode.eventIDs == [4650, 5451])
        #expect(fixture.serverNode.endpoint.database.mainModes()[0].remoteIdentity == "alice@DA.TEST")
        #expect(fixture.clientNode.endpoint.database.mainModes()[0].remoteIdentity == KerberosRealm.service)
        #expect(fixture.serverNode.field("MMAuthMethod", of: 4650) == "Kerberos")
    }

    @Test("NTLMv2 in Main Mode over IPv4: DH, NAT-D, the computer account at the responder")
    func ntlm() throws {
        var fixture = EngineFixture(
            clientAuth: [EngineFixture.ntlmClient()], serverAuth: [try EngineFixture.ntlmServer()], ipv4: true)
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        let server = fixture.serverNode.endpoint.database.mainModes()[0]
        #expect(server.remoteIdentity == "CORP\\CLIENT1$")
        #expect(server.diffieHellmanGroup == .ecp256 && !server.natDetected)
        #expect(fixture.clientNode.endpoint.database.mainModes()[0].localIdentity == "CORP\\CLIENT1$")
    }

    @Test("Anonymous Main Mode rests on DH alone")
    func anonymous() throws {
        var fixture = EngineFixture(clientAuth: [.anonymous], serverAuth: [.anonymous])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(fixture.serverNode.endpoint.database.mainModes()[0].remoteIdentity == nil)
        #expect(fixture.serverNode.field("MMAuthMethod", of: 4650) == "Anonymous")
    }

    @Test("Certificates over IPv4: the TLS flights are fragmented at 576 bytes and reassembled")
    func fragmentation() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            ipv4: true)
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        // More datagrams than messages: the certificate flights went as fragments.
        #expect(
            fixture.clientNode.sentDatagrams > 6 && fixture.serverNode.sentDatagrams > 5,
            "\(fixture.clientNode.sentDatagrams) / \(fixture.serverNode.sentDatagrams)")
    }

    @Test("Method retry: the revoked certificate is refused, the initiator moves on to NTLM (NEW_GSS_EXCHANGE)")
    func methodRetry() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate(["client-revoked"]), EngineFixture.ntlmClient()],
            serverAuth: [try EngineFixture.serverCertificate(), try EngineFixture.ntlmServer()])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(fixture.serverNode.endpoint.database.mainModes()[0].authenticationMethod == .ntlm)
        #expect(fixture.serverNode.eventIDs == [4650, 5451], "a retry that succeeds logs no failure")
    }

    @Test("Credential retry: the responder asks for another certificate (RETRY_CURRENT_AUTHENTICATION)")
    func credentialRetry() throws {
        var fixture = EngineFixture(
            clientAuth: [
                try EngineFixture.clientCertificate(["client-revoked"]),
                try EngineFixture.clientCertificate(["client-rsa"]),
            ],
            serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(fixture.serverNode.endpoint.database.mainModes()[0].remoteIdentity?.contains("CN=CLIENT1") == true)
    }

    @Test("The MM responder starts a Quick Mode over the existing MM SA (exchange 244, Auth2 in its Hash)")
    func responderInitiatesQuickMode() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        let first = try #require(fixture.serverNode.endpoint.database.quickModes().first)
        fixture.simulation.inject(.removeQuickModeSA(id: first.id), into: fixture.server)
        fixture.run(seconds: 5)
        #expect(fixture.clientNode.endpoint.database.quickModeCount == 0, "the delete reached the client")
        #expect(fixture.clientNode.endpoint.database.mainModeCount == 1)
        fixture.simulation.inject(
            .acquire(
                TrafficRequest(
                    source: fixture.serverAddress, destination: fixture.clientAddress, ipProtocol: 6,
                    destinationPort: 3389)), into: fixture.server)
        fixture.run(seconds: 5)
        fixture.expectEstablished()
        let qm = try #require(fixture.serverNode.endpoint.database.quickModes().first)
        #expect(qm.role == .initiator && qm.remoteSelector.addresses == AddressRange(fixture.clientAddress))
        #expect(fixture.clientNode.endpoint.database.quickModes().first?.role == .responder)
    }

    @Test("Behind a NAT: NAT-D detects it, the exchange moves to port 4500, the QM SAs are UDP-encapsulated")
    func natTraversal() throws {
        var fixture = EngineFixture(
            clientAuth: [EngineFixture.ntlmClient()], serverAuth: [try EngineFixture.ntlmServer()], ipv4: true)
        fixture.simulation.addNAT(inside: fixture.clientAddress, outside: IPAddress("203.0.113.9")!)
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(fixture.serverNode.endpoint.database.mainModes()[0].natDetected)
        #expect(fixture.clientNode.endpoint.database.mainModes()[0].natDetected)
        #expect(fixture.serverNode.endpoint.database.mainModes()[0].remote.ip == IPAddress("203.0.113.9")!)
        let installed = fixture.clientNode.installedSAs.values.flatMap { Array($0.values) }
        #expect(!installed.isEmpty && installed.allSatisfy { $0.udpEncapsulated })
        let clientSent = fixture.simulation.trace.filter { $0.sender == "CLIENT1" }
        let later = clientSent.dropFirst().map { $0.to.port }
        #expect(clientSent.first?.to.port == 500 && !later.isEmpty && later.allSatisfy { $0 == 4500 })
    }
}
