import AuthIP
import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

@Suite("The two DirectAccess tunnels with Extended Mode")
struct DirectAccessTunnelTests {
    @Test("Infrastructure tunnel: computer certificate in MM, NTLMv2 as CLIENT1$ in EM, tunnel to 2002:836b:2::836b:2")
    func infrastructureTunnel() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run()
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.eventIDs == [4981, 5451], "\(node.name): \(node.eventIDs)")
            #expect(node.installedSACount == 2)
        }
        fixture.expectMatchingKeys()
        let mm = try #require(fixture.serverNode.endpoint.database.mainModes().first)
        #expect(mm.local.ip == IPAddress("2002:836b:2::836b:2")!)
        #expect(mm.authenticationMethod == .tls && mm.secondAuthenticationMethod == .ntlm)
        #expect(mm.remoteSecondIdentity == "CORP\\CLIENT1$")
        #expect(fixture.serverNode.field("RemoteEMPrincipalName", of: 4981) == "CORP\\CLIENT1$")
        let qm = try #require(fixture.clientNode.endpoint.database.quickModes().first)
        #expect(
            qm.encapsulation
                == .tunnel(local: DirectAccessFixture.clientAddress, remote: IPAddress("2002:836b:2::836b:2")!))
        #expect(qm.remoteSelector.addresses == DirectAccessFixture.dns)
        let table = fixture.clientNode.endpoint.database.mainModeTable()
        #expect(table.contains("ComputerCert") && table.contains("UserNTLM"), "\(table)")
    }

    @Test("Intranet tunnel: computer certificate in MM, the user's Kerberos ticket in EM (impersonated)")
    func intranetTunnel() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory)
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run()
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.eventIDs == [4981, 5451], "\(node.name): \(node.eventIDs)")
        }
        fixture.expectMatchingKeys()
        let mm = try #require(fixture.serverNode.endpoint.database.mainModes().first)
        #expect(mm.local.ip == IPAddress("2002:836b:3::836b:3")!)
        #expect(mm.remoteSecondIdentity == "alice@DA.TEST" && mm.secondAuthenticationMethod == .kerberos)
        #expect(fixture.serverNode.field("EMImpersonationState", of: 4981) == "Enabled")
        #expect(fixture.clientNode.endpoint.database.mainModeTable().contains("UserKerb"))
    }

    @Test("Both tunnels at once, and a second intranet connection reuses the intranet MM SA")
    func bothTunnels() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run()
        fixture.reach(IPAddress("2001:db8:1:7::9")!, port: 3389)
        fixture.run(seconds: 5)
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.endpoint.database.mainModeCount == 2, "\(node.name): \(node.eventIDs)")
        }
        #expect(
            fixture.clientNode.endpoint.database.quickModeCount == 2,
            "the intranet QM SA covers the whole intranet prefix")
        fixture.expectMatchingKeys()
    }

    @Test("EM method retry: the user has no ticket, the initiator moves on to NTLM in Extended Mode")
    func extendedModeRetry() throws {
        let directory = try DirectAccessFixture.directory()
        let realm = try KerberosRealm.shared.get()
        let server = try DirectAccessFixture.serverSetup(directory: directory)
        var serverRules = server.rules
        let ntlm = NTLMAcceptorSetup(
            configuration: NTLMAcceptorConfiguration(
                netbiosDomainName: "CORP", netbiosComputerName: "DASERVER",
                dnsDomainName: "corp.contoso.com", dnsComputerName: "daserver.corp.contoso.com"),
            directory: directory)
        for index in serverRules.indices where serverRules[index].name.contains("Corp") {
            serverRules[index].extendedMode?.authentication = AuthenticationSet([
                .kerberos(initiator: nil, acceptor: .keytab(realm.serverKeytab)),
                .ntlm(initiator: nil, acceptor: ntlm),
            ])
        }
        let client = try DirectAccessFixture.clientSetup()
        let clientRules = DirectAccessFixture.rules(client.rules, named: "Corp") {
            $0.authentication = AuthenticationSet([
                .kerberos(initiator: .cache(realm.cache("no-such-cache")), acceptor: nil),
                .ntlm(initiator: client.computerAccount, acceptor: nil),
            ])
        }
        var fixture = DirectAccessFixture(
            server: server, client: client, directory: directory, clientRules: clientRules, serverRules: serverRules)
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run()
        let serverIndex = fixture.server
        #expect(
            fixture.clientNode.eventIDs == [4981, 5451],
            "\(fixture.clientNode.eventIDs) \(fixture.clientNode.failureReason(4984) ?? "") \(fixture.serverNode.failureReason(4984) ?? "")"
        )
        let mm = try #require(fixture.simulation.nodes[serverIndex].endpoint.database.mainModes().first)
        #expect(mm.secondAuthenticationMethod == .ntlm && mm.remoteSecondIdentity == "CORP\\CLIENT1$")
        #expect(fixture.simulation.nodes[serverIndex].eventIDs == [4981, 5451])
    }

    @Test("A tampered Extended Mode message gets 4978 and changes nothing")
    func tamperedExtendedMode() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory)
        fixture.simulation.recordsTraffic = true
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run()
        let em = try #require(
            fixture.simulation.trace.first {
                $0.sender == "CLIENT1" && $0.bytes[18] == ExchangeType.extendedMode.rawValue
            })
        var tampered = em.bytes
        tampered[tampered.count - 2] ^= 0x40
        fixture.simulation.inject(.datagram(tampered, from: em.from, to: em.to), into: fixture.server)
        #expect(fixture.serverNode.events(4978).count == 1)
        #expect(
            fixture.serverNode.endpoint.database.mainModeCount == 1
                && fixture.serverNode.endpoint.database.quickModeCount == 1)
    }
}

@Suite("DirectAccess authorization: each refusal with the event and code Windows uses")
struct DirectAccessAuthorizationTests {
    /// Runs the intranet or infrastructure tunnel against a server with this directory and policy.
    func attempt(
        directory: JSONAccountDirectory,
        authorization: AuthorizationPolicy = AuthorizationPolicy(
            requiredComputerGroup: "DirectAccess Clients",
            requiredUserGroup: "DirectAccess Users"),
        certificate: String = "client-rsa", intranet: Bool = true
    ) throws -> DirectAccessFixture {
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory, authorization: authorization),
            client: try DirectAccessFixture.clientSetup(certificate: certificate), directory: directory)
        fixture.reach(intranet ? DirectAccessFixture.fileServer : DirectAccessFixture.dns.first)
        fixture.run(seconds: 60)
        return fixture
    }

    func expectNothingLeft(_ fixture: DirectAccessFixture, sourceLocation: SourceLocation = #_sourceLocation) {
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(
                node.endpoint.database.mainModeCount == 0 && node.endpoint.database.quickModeCount == 0,
                sourceLocation: sourceLocation)
            #expect(
                node.endpoint.sessionCount == 0 && node.installedSACount == 0, "\(node.name)",
                sourceLocation: sourceLocation)
        }
    }

    @Test("A disabled computer account: the MM is refused with 4652, 13905 ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE")
    func disabledComputer() throws {
        let fixture = try attempt(directory: try DirectAccessFixture.directory(computerEnabled: false))
        #expect(fixture.serverNode.eventIDs == [4652])
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        #expect(fixture.clientNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        #expect(fixture.clientNode.field("FailurePoint", of: 4652) == "Remote computer")
        // The server found it: its own failure, though the client's notify that it gives up
        // carries the same code.
        #expect(fixture.serverNode.field("FailurePoint", of: 4652) == "Local computer")
        expectNothingLeft(fixture)
    }

    @Test("A disabled user whose Kerberos ticket is still valid: 4984 SEC_E_LOGON_DENIED, MM and QM state gone")
    func disabledUserWithValidTicket() throws {
        let fixture = try attempt(directory: try DirectAccessFixture.directory(userEnabled: false))
        #expect(fixture.serverNode.eventIDs == [4984])
        #expect(fixture.serverNode.failureReason(4984) == WindowsError.secELogonDenied.text)
        #expect(fixture.serverNode.field("RemoteEMPrincipalName", of: 4984) == "alice@DA.TEST")
        #expect(fixture.serverNode.field("EMAuthMethod", of: 4984) == "Kerberos")
        #expect(fixture.serverNode.field("FailurePoint", of: 4984) == "Local computer")
        #expect(fixture.clientNode.eventIDs == [4984])
        #expect(fixture.clientNode.field("FailurePoint", of: 4984) == "Remote computer")
        expectNothingLeft(fixture)
    }

    @Test("A user outside the DirectAccess users group: 4984 13905")
    func missingGroup() throws {
        let fixture = try attempt(directory: try DirectAccessFixture.directory(userGroups: ["Domain Users"]))
        #expect(fixture.serverNode.failureReason(4984) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        expectNothingLeft(fixture)
    }

    @Test("NAP full enforcement: without a health certificate 13905 in 4652; with one the tunnel comes up")
    func healthCertificate() throws {
        let nap = AuthorizationPolicy(requiredComputerGroup: "DirectAccess Clients", requiresHealthCertificate: true)
        let refused = try attempt(directory: try DirectAccessFixture.directory(), authorization: nap)
        #expect(refused.serverNode.eventIDs == [4652])
        #expect(refused.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        expectNothingLeft(refused)
        let healthy = try attempt(
            directory: try DirectAccessFixture.directory(), authorization: nap, certificate: "client-health")
        #expect(healthy.serverNode.eventIDs == [4981, 5451], "\(healthy.serverNode.eventIDs)")
    }

    @Test(
        "Smart-card authorization: a password-based ticket lacks the pkinit indicator, 13906 in 4984",
        arguments: [true, false])
    func smartCard(byPolicy: Bool) throws {
        let policy = AuthorizationPolicy(requiredComputerGroup: "DirectAccess Clients", requiresSmartCard: byPolicy)
        let fixture = try attempt(
            directory: try DirectAccessFixture.directory(smartCardRequired: !byPolicy), authorization: policy)
        #expect(fixture.serverNode.eventIDs == [4984])
        #expect(fixture.serverNode.failureReason(4984) == WindowsError.errorIpsecIkeStrongCredAuthorizationFailure.text)
        #expect(fixture.clientNode.failureReason(4984) == WindowsError.errorIpsecIkeStrongCredAuthorizationFailure.text)
        expectNothingLeft(fixture)
    }

    @Test("A wrong computer-account password in the infrastructure tunnel's EM: 4984 SEC_E_LOGON_DENIED")
    func wrongComputerPassword() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(computerPassword: "stale"), directory: directory)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run(seconds: 60)
        #expect(fixture.serverNode.eventIDs == [4984])
        #expect(fixture.serverNode.failureReason(4984) == WindowsError.secELogonDenied.text)
        #expect(fixture.serverNode.field("EMAuthMethod", of: 4984) == "NTLM V2")
        expectNothingLeft(fixture)
    }

    @Test("Explicit credentials where the policy does not allow them: Extended Mode fails")
    func explicitCredentials() throws {
        let directory = try DirectAccessFixture.directory()
        let setup = try DirectAccessFixture.clientSetup()
        let rules = DirectAccessFixture.rules(setup.rules) { $0.credentialsAreExplicit = true }
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory), client: setup,
            directory: directory, clientRules: rules)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run(seconds: 60)
        #expect(fixture.serverNode.eventIDs == [4984])
        #expect(fixture.serverNode.field("State", of: 4984) != nil)
        expectNothingLeft(fixture)
    }
}

@Suite("The block list and manage out")
struct BlockAndManageOutTests {
    @Test("Blocking a lost laptop removes its SAs at once on both sides and refuses it until the block ends")
    func blockThenExpire() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run()
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 2)
        let until = fixture.simulation.now.addingTimeInterval(3_600)
        fixture.simulation.inject(.block(WildcardPattern("*client1*")!, until: until), into: fixture.server)
        #expect(
            fixture.serverNode.endpoint.database.mainModeCount == 0 && fixture.serverNode.installedSACount == 0,
            "gone at once")
        #expect(fixture.serverNode.events(4655).count == 2 && fixture.serverNode.events(5452).count == 2)
        fixture.run(seconds: 5)
        #expect(
            fixture.clientNode.endpoint.database.mainModeCount == 0 && fixture.clientNode.installedSACount == 0,
            "the client was told")
        // The laptop tries again: refused in Main Mode.
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run(seconds: 60)
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
        // After the block ends it gets in again.
        fixture.run(seconds: 3_600)
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run(seconds: 30)
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 1)
        #expect(fixture.serverNode.endpoint.blockList.entries.isEmpty)
    }

    @Test(
        "Manage out: from the ISATAP management prefix the server starts a Quick Mode over the client's infrastructure MM SA; from elsewhere it refuses"
    )
    func manageOut() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory)
        // The computer is connected (infrastructure tunnel), no user is logged on.
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run()
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 1)
        // A helpdesk workstation on the ISATAP prefix opens a remote desktop to the client.
        fixture.simulation.inject(
            .acquire(
                TrafficRequest(
                    source: DirectAccessFixture.helpdesk, destination: DirectAccessFixture.clientAddress,
                    ipProtocol: 6, destinationPort: 3389)), into: fixture.server)
        fixture.run(seconds: 5)
        let manageOut = try #require(
            fixture.serverNode.endpoint.database.quickModes().first {
                $0.localSelector.addresses.contains(DirectAccessFixture.helpdesk)
            })
        #expect(
            manageOut.role == .initiator
                && manageOut.remoteSelector.addresses == AddressRange(DirectAccessFixture.clientAddress))
        #expect(
            fixture.clientNode.endpoint.database.quickModes().contains { $0.role == .responder }, "the client answered")
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 1, "over the existing MM SA")
        #expect(fixture.clientNode.events(5451).count == 2)
        // The intranet tunnel up; an intranet host outside the management prefix tries: refused.
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run()
        let before = fixture.serverNode.endpoint.database.quickModeCount
        fixture.simulation.inject(
            .acquire(
                TrafficRequest(
                    source: IPAddress("2001:db8:2::99")!, destination: DirectAccessFixture.clientAddress,
                    ipProtocol: 6, destinationPort: 3389)), into: fixture.server)
        fixture.simulation.inject(
            .acquire(
                TrafficRequest(
                    source: IPAddress("2001:db8:1:5::99")!, destination: DirectAccessFixture.clientAddress,
                    ipProtocol: 17, destinationPort: 5000)), into: fixture.server)
        fixture.run(seconds: 5)
        #expect(fixture.serverNode.endpoint.database.quickModeCount == before)
    }

    @Test("A client refuses a manage-out Quick Mode from outside its management prefixes")
    func clientRefusesManageOut() throws {
        let directory = try DirectAccessFixture.directory()
        var server = try DirectAccessFixture.serverSetup(
            directory: directory, managementPrefixes: [AddressRange(IPAddress("2001:db8:1:9::")!, prefixLength: 64)])
        server.managementPrefixes = [AddressRange(IPAddress("2001:db8:1:9::")!, prefixLength: 64)]
        var fixture = DirectAccessFixture(
            server: server, client: try DirectAccessFixture.clientSetup(), directory: directory)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run()
        fixture.simulation.inject(
            .acquire(
                TrafficRequest(
                    source: IPAddress("2001:db8:1:9::5")!, destination: DirectAccessFixture.clientAddress,
                    ipProtocol: 6, destinationPort: 3389)), into: fixture.server)
        fixture.run(seconds: 5)
        #expect(fixture.clientNode.failureReason(4654) == WindowsError.errorIpsecIkeNoPolicy.text)
        #expect(fixture.serverNode.field("FailurePoint", of: 4654) == "Remote computer")
        #expect(fixture.clientNode.endpoint.database.quickModeCount == 1)
    }
}
