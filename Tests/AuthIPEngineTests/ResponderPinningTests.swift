import AuthIP
import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPTrust
import AuthIPWire
import Foundation
import Testing

/// The initiator checks who answers it; both sides report only names a method authenticated;
/// a computer proved in Extended Mode must be the one Main Mode proved, in the same domain.
@Suite("Pinning the responder, authenticated names, the Extended Mode computer binding", .serialized)
struct ResponderPinningTests {
    static var realm: KerberosRealm { get throws { try KerberosRealm.shared.get() } }

    /// A rogue DirectAccess server: a trusted certificate, and keys of its own service
    /// (`host/other.da.test`), which it announces in GSS_ID.
    static func rogueIntranet(client: DirectAccess.Client) throws -> DirectAccessFixture {
        let directory = try DirectAccessFixture.directory()
        var rogue = try DirectAccessFixture.serverSetup(directory: directory)
        rogue.keytab = .keytab(try Self.realm.otherKeytab)
        return DirectAccessFixture(
            server: rogue, client: client, directory: directory, serverPrincipal: "host/other.da.test@DA.TEST")
    }

    static func intranetUp(_ fixture: DirectAccessFixture) -> Bool {
        fixture.clientNode.endpoint.database.mainModes().contains {
            $0.remote.ip == fixture.serverSetup.intranetTunnelEndpoint
        }
    }

    @Test(
        "Without a pinned SPN the client takes GSS_ID's word: a rogue with keys of another service gets the user's tunnel"
    )
    func unpinnedKerberosTarget() throws {
        var fixture = try Self.rogueIntranet(client: try DirectAccessFixture.clientSetup())
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run(seconds: 30)
        #expect(Self.intranetUp(fixture), "the risk the pinned SPN removes: \(fixture.clientNode.eventIDs)")
    }

    @Test("A pinned SPN is the Kerberos target whatever GSS_ID says: the rogue cannot accept the ticket")
    func pinnedKerberosTarget() throws {
        var client = try DirectAccessFixture.clientSetup()
        client.serverIdentity = ResponderIdentity(servicePrincipalName: KerberosRealm.service)
        var fixture = try Self.rogueIntranet(client: client)
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run(seconds: 60)
        #expect(!Self.intranetUp(fixture))
        #expect(!fixture.clientNode.events(4984).isEmpty, "\(fixture.clientNode.eventIDs)")
        // The real server, with the same client: the tunnel comes up.
        let directory = try DirectAccessFixture.directory()
        var real = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory), client: client, directory: directory,
            serverPrincipal: "host/somebody-else.da.test@DA.TEST")
        real.reach(DirectAccessFixture.fileServer)
        real.run(seconds: 30)
        #expect(Self.intranetUp(real), "\(real.clientNode.eventIDs)")
    }

    @Test("A pinned certificate host name: another trusted server certificate is refused with SEC_E_WRONG_PRINCIPAL")
    func pinnedCertificate() throws {
        for (host, established) in [("daserver.corp.contoso.com", true), ("daserver-ec.corp.contoso.com", false)] {
            var client = try DirectAccessFixture.clientSetup()
            client.serverIdentity = ResponderIdentity(certificateHostNames: [host])
            let directory = try DirectAccessFixture.directory()
            var fixture = DirectAccessFixture(
                server: try DirectAccessFixture.serverSetup(directory: directory), client: client, directory: directory)
            fixture.reach(DirectAccessFixture.dns.first, port: 53)
            fixture.run(seconds: 60)
            #expect(
                (fixture.clientNode.endpoint.database.mainModeCount == 1) == established,
                "\(host): \(fixture.clientNode.eventIDs)")
            if !established {
                #expect(fixture.clientNode.failureReason(4652) == WindowsError.secEWrongPrincipal.text)
                #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
            }
        }
    }

    @Test("An NTLM initiator reports no remote identity: nothing authenticated the SPN of GSS_ID")
    func onlyAuthenticatedNames() throws {
        var fixture = EngineFixture(
            clientAuth: [EngineFixture.ntlmClient()], serverAuth: [try EngineFixture.ntlmServer()])
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        let record = try #require(fixture.clientNode.endpoint.database.mainModes().first)
        #expect(record.remoteIdentity == nil)
        #expect(try #require(fixture.serverNode.endpoint.database.mainModes().first).remoteIdentity == "CORP\\CLIENT1$")
    }

    /// The infrastructure tunnel, with the client's Main Mode and Extended Mode credentials
    /// replaced.
    static func binding(
        mainMode: AuthenticationProposal? = nil, extendedMode: AuthenticationProposal,
        serverNTLM: NTLMAcceptorSetup? = nil, serverExtendedMode: AuthenticationProposal? = nil,
        withDirectory: Bool = true
    ) throws -> DirectAccessFixture {
        let directory = try DirectAccessFixture.directory()
        var serverSetup = try DirectAccessFixture.serverSetup(directory: directory)
        if let serverNTLM { serverSetup.ntlm = serverNTLM }
        let clientSetup = try DirectAccessFixture.clientSetup()
        let clientRules = clientSetup.rules.map { rule in
            var rule = rule
            if let mainMode { rule.mainModeAuthentication = AuthenticationSet([mainMode]) }
            rule.extendedMode?.authentication = AuthenticationSet([extendedMode])
            return rule
        }
        let serverRules = serverSetup.rules.map { rule in
            var rule = rule
            if mainMode != nil {
                rule.mainModeAuthentication = AuthenticationSet(
                    rule.mainModeAuthentication.methods + [.kerberos(initiator: nil, acceptor: serverSetup.keytab)])
            }
            if let serverExtendedMode { rule.extendedMode?.authentication = AuthenticationSet([serverExtendedMode]) }
            rule.authorization = AuthorizationPolicy()
            return rule
        }
        var fixture = DirectAccessFixture(
            server: serverSetup, client: clientSetup, directory: directory, clientRules: clientRules,
            serverRules: serverRules, serverHasDirectory: withDirectory)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run(seconds: 60)
        return fixture
    }

    static let client2NTLM = AuthenticationProposal.ntlm(
        initiator: NTLMCredentials(
            user: "CLIENT2$", domain: "CORP", password: "Client2-Machine-Secret", workstation: "CLIENT2"), acceptor: nil
    )

    @Test("Main Mode Kerberos as CLIENT1$, Extended Mode NTLM as CLIENT2$: refused with 13905")
    func kerberosMainMode() throws {
        let fixture = try Self.binding(
            mainMode: .kerberos(
                initiator: .password(principal: "CLIENT1$@DA.TEST", password: "Client1-Kerberos-Pw-1"),
                acceptor: nil),
            extendedMode: Self.client2NTLM)
        #expect(
            fixture.serverNode.failureReason(4984) == WindowsError.errorIpsecIkeAuthorizationFailure.text,
            "\(fixture.serverNode.eventIDs)")
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
    }

    @Test(
        "A certificate without a common name binds by its DNS name: CLIENT1's certificate, CLIENT2$ in Extended Mode, refused"
    )
    func certificateWithoutCommonName() throws {
        guard case .certificate(var configuration) = try EngineFixture.clientCertificate() else {
            throw CancellationError()
        }
        configuration.identities = [try EngineFixture.identity("client-san-only")]
        let fixture = try Self.binding(mainMode: .certificate(configuration), extendedMode: Self.client2NTLM)
        #expect(
            fixture.serverNode.failureReason(4984) == WindowsError.errorIpsecIkeAuthorizationFailure.text,
            "\(fixture.serverNode.eventIDs)")
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
    }

    @Test("Without a directory the binding still holds: Extended Mode Kerberos as the computer CLIENT2$, refused")
    func withoutDirectory() throws {
        let fixture = try Self.binding(
            extendedMode: .kerberos(
                initiator: .password(principal: "CLIENT2$@DA.TEST", password: "Client2-Kerberos-Pw-1"), acceptor: nil),
            serverExtendedMode: .kerberos(initiator: nil, acceptor: .keytab(try Self.realm.serverKeytab)),
            withDirectory: false)
        #expect(
            fixture.serverNode.failureReason(4984) == WindowsError.errorIpsecIkeAuthorizationFailure.text,
            "\(fixture.serverNode.eventIDs)")
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
    }

    @Test("The same account name in another domain is another computer: refused")
    func otherDomain() throws {
        let other = try JSONAccountDirectory(
            json: """
                {"domain": "OTHERDOM", "accounts": [
                  {"name": "CLIENT1$", "kind": "computer", "enabled": true, "password": "Other-Client1-Secret"}]}
                """)
        let fixture = try Self.binding(
            extendedMode: .ntlm(
                initiator: NTLMCredentials(
                    user: "CLIENT1$", domain: "OTHERDOM", password: "Other-Client1-Secret",
                    workstation: "CLIENT1"), acceptor: nil),
            serverNTLM: NTLMAcceptorSetup(
                configuration: NTLMAcceptorConfiguration(
                    netbiosDomainName: "OTHERDOM", netbiosComputerName: "DASERVER",
                    dnsDomainName: "", dnsComputerName: ""),
                directory: other))
        #expect(
            fixture.serverNode.failureReason(4984) == WindowsError.errorIpsecIkeAuthorizationFailure.text,
            "\(fixture.serverNode.eventIDs)")
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
    }

    @Test("The binding's positive case: CLIENT1's certificate and CORP\\CLIENT1$ (corp.contoso.com) establish")
    func sameComputer() throws {
        let fixture = try Self.binding(extendedMode: EngineFixture.ntlmClient())
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 1, "\(fixture.serverNode.eventIDs)")
    }
}
