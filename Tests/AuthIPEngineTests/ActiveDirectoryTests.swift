import AuthIP
import AuthIPAccounts
import AuthIPCrypto
import AuthIPDirectory
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPTestSupport
import AuthIPTrust
import AuthIPWire
import Foundation
import Testing

/// The Samba AD domain controller that `scripts/test.sh` provisions and starts
/// (`scripts/samba-dc.sh`): realm DA.TEST, its directory seeded with CLIENT1$ (in
/// DirectAccessClients), CLIENT2$ (disabled), alice (in DA-Nested, itself in
/// DirectAccessClients), carol (no groups) and the service account svc-authip.
enum SambaDC {
    /// The DC's directory, from `AUTHIP_SAMBA_DC`; the tests that need it are skipped without it.
    static let directory = ProcessInfo.processInfo.environment["AUTHIP_SAMBA_DC"]
    static let address = ProcessInfo.processInfo.environment["SAMBA_DC_IP"] ?? "127.0.0.1"
    static var isRunning: Bool { directory != nil }
    /// winbind's socket, which libwbclient only looks for at this path (scripts/test.sh mounts
    /// the test DC's there).
    static let winbindAvailable = isRunning && FileManager.default.fileExists(atPath: "/run/samba/winbindd/pipe")

    static func configuration(
        security: LDAPDirectoryConfiguration.Security = .ldaps, password: String = "Svc-Authip-Pw-12345!",
        caFile: String? = nil, port: Int? = nil
    ) -> LDAPDirectoryConfiguration {
        let scheme = security == .ldaps ? "ldaps" : "ldap"
        return LDAPDirectoryConfiguration(
            uri: "\(scheme)://\(address)" + (port.map { ":\($0)" } ?? ""), security: security,
            caFile: caFile ?? "\(directory ?? "")/private/tls/ca.pem", bindDN: "svc-authip@da.test",
            password: SecretBytes(Array(password.utf8)),
            baseDN: "DC=da,DC=test", domain: "DA")
    }

    /// Runs scripts/samba-dc.sh on the DC (`stop`, `start`), with the environment scripts/test.sh
    /// gave. Through system(3): the DC it starts keeps Foundation's exit-notification pipe open,
    /// so Process would never see the script end.
    static func control(_ command: String) throws {
        let script = TestVectors.directory.deletingLastPathComponent().appendingPathComponent("scripts/samba-dc.sh")
            .path
        let status = system("bash '\(script)' \(command) '\(directory ?? "")' > /dev/null 2>&1 < /dev/null")
        #expect(status == 0, "samba-dc.sh \(command)")
    }

    /// Changes the directory with samba-tool on the DC's own database.
    static func sambaTool(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/samba-tool")
        process.arguments = arguments + ["-s", "\(directory ?? "")/etc/smb.conf"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "samba-tool \(arguments.joined(separator: " "))")
    }
}

/// Every test that uses the Samba DC, one at a time: some change the directory, one stops
/// the DC and starts it again.
@Suite("Against the Samba AD DC", .serialized, .enabled(if: SambaDC.isRunning))
enum SambaDCTests {}

extension SambaDCTests {
    @Suite("Active Directory over LDAP")
    struct ActiveDirectoryTests {
        let directory = LDAPAccountDirectory(configuration: SambaDC.configuration())

        func account(_ name: String, _ directory: LDAPAccountDirectory? = nil) throws -> Account {
            let lookup = (directory ?? self.directory).lookUp(AccountQuery(name: name), timeout: .seconds(10))
            guard case .found(let account) = lookup else {
                Issue.record("\(name): \(lookup)")
                throw CancellationError()
            }
            return account
        }

        @Test("A computer account by sAMAccountName: enabled, a computer, in DirectAccessClients")
        func computer() throws {
            let client = try account("client1$")
            #expect(
                client.samAccountName == "CLIENT1$" && client.domain == "DA" && client.kind == .computer
                    && client.isEnabled)
            #expect(client.isMember(of: "DirectAccessClients"))
        }

        @Test("A user by userPrincipalName, a member of DirectAccessClients through the nested DA-Nested")
        func nestedUser() throws {
            let alice = try account("alice@da.test")
            #expect(alice.samAccountName == "alice" && alice.kind == .user && alice.isEnabled)
            #expect(alice.isMember(of: "DA-Nested") && alice.isMember(of: "DirectAccessClients"))
            #expect(
                alice.groups.filter { $0.hasPrefix("S-1-5-21-") }.count == 2, "each group by SID too: \(alice.groups)")
            let carol = try account("carol")
            #expect(carol.isEnabled && carol.groups.isEmpty)
        }

        @Test("A disabled computer account reads as not enabled, group membership or not")
        func disabled() throws {
            let client2 = try account("CLIENT2$")
            #expect(!client2.isEnabled && client2.isMember(of: "DirectAccessClients"))
        }

        @Test("Unknown names, and names with filter characters, are not found")
        func unknown() {
            for name in ["nobody", "*", "alice)(objectClass=*", "CLIENT1$*"] {
                #expect(directory.lookUp(AccountQuery(name: name), timeout: .seconds(10)) == .notFound, "\(name)")
            }
        }

        @Test(
            "The directory answers for its own domain (NetBIOS name or realm) only: another domain's alice is not this one's"
        )
        func otherDomain() throws {
            for domain in ["DA", "da.test", "DA.TEST"] {
                guard
                    case .found(let alice) = directory.lookUp(
                        AccountQuery(name: "alice", domain: domain), timeout: .seconds(10))
                else {
                    Issue.record("alice in \(domain) not found")
                    continue
                }
                #expect(alice.samAccountName == "alice")
            }
            #expect(directory.lookUp(AccountQuery(name: "alice", domain: "OTHER"), timeout: .seconds(10)) == .notFound)
            #expect(
                directory.lookUp(AccountQuery(name: "alice", domain: "OTHER.REALM"), timeout: .seconds(10)) == .notFound
            )
        }

        @Test("StartTLS on port 389 reaches the same directory")
        func startTLS() throws {
            let client = try account(
                "CLIENT1$", LDAPAccountDirectory(configuration: SambaDC.configuration(security: .startTLS)))
            #expect(client.isEnabled)
        }

        @Test("A wrong service password, a CA the DC's certificate does not chain to, a closed port: unavailable")
        func unavailable() {
            let cases: [(LDAPDirectoryConfiguration, String)] = [
                (SambaDC.configuration(password: "wrong"), "Invalid credentials"),
                (SambaDC.configuration(caFile: "/etc/ssl/certs/ca-certificates.crt"), "Can't contact LDAP server"),
                (SambaDC.configuration(port: 1), "Can't contact LDAP server"),
                (
                    LDAPDirectoryConfiguration(
                        uri: "ldap://\(SambaDC.address)", security: .ldaps, caFile: SambaDC.configuration().caFile,
                        bindDN: "svc-authip@da.test", password: SecretBytes(Array("Svc-Authip-Pw-12345!".utf8)),
                        baseDN: "DC=da,DC=test", domain: "DA"),
                    "does not start with ldaps://"
                ),
            ]
            for (configuration, expected) in cases {
                let lookup = LDAPAccountDirectory(configuration: configuration).lookUp(
                    AccountQuery(name: "CLIENT1$"), timeout: .seconds(5))
                guard case .unavailable(let reason) = lookup else {
                    Issue.record("\(configuration.uri): \(lookup)")
                    continue
                }
                #expect(reason.contains(expected), "\(reason)")
            }
        }

        /// A server that asks the DC for each account, requiring DirectAccessClients.
        func fixture() throws -> EngineFixture {
            var fixture = EngineFixture(
                clientAuth: [try EngineFixture.clientCertificate()],
                serverAuth: [try EngineFixture.serverCertificate()],
                serverDirectory: RemoteDirectoryPolicy(cacheLifetime: .seconds(60), timeout: .seconds(10)),
                serverAuthorization: AuthorizationPolicy(requiredComputerGroup: "DirectAccessClients"))
            let directory = self.directory
            fixture.simulation.directoryServer = { directory.lookUp($0, timeout: .seconds(10)) }
            return fixture
        }

        @Test("The computer disabled in AD: the next negotiation is refused with 4652 13905; enabled again, it gets in")
        func disableInDirectory() throws {
            var fixture = try fixture()
            fixture.connect()
            fixture.run()
            fixture.expectEstablished()
            try SambaDC.sambaTool(["user", "disable", "CLIENT1$"])
            defer { try? SambaDC.sambaTool(["user", "enable", "CLIENT1$"]) }
            fixture.simulation.inject(.removeMainModeSAs(MainModeSAFilter()), into: fixture.server)
            fixture.run(seconds: 61)
            fixture.connect()
            fixture.run(seconds: 120)
            #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
            #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
            try SambaDC.sambaTool(["user", "enable", "CLIENT1$"])
            fixture.run(seconds: 61)
            fixture.connect()
            fixture.run(seconds: 60)
            fixture.expectEstablished()
        }

        @Test("The computer removed from DirectAccessClients: refused with 13905")
        func removedFromGroup() throws {
            try SambaDC.sambaTool(["group", "removemembers", "DirectAccessClients", "CLIENT1$"])
            defer { try? SambaDC.sambaTool(["group", "addmembers", "DirectAccessClients", "CLIENT1$"]) }
            var fixture = try fixture()
            fixture.connect()
            fixture.run(seconds: 120)
            #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
            fixture.expectNothingLeft()
        }

        @Test(
            "The DC stopped: LDAP and winbind unavailable, 4652 SEC_E_NO_AUTHENTICATING_AUTHORITY; started again, the next negotiation gets in"
        )
        func domainControllerDownAndBack() throws {
            try SambaDC.control("stop")
            var restarted = false
            defer { if !restarted { try? SambaDC.control("start") } }
            #expect(
                directory.lookUp(AccountQuery(name: "CLIENT1$"), timeout: .seconds(5))
                    == .unavailable("bind as svc-authip@da.test: Can't contact LDAP server (-1)"))
            if SambaDC.winbindAvailable {
                let request = NTLMValidationRequest(
                    userName: "CLIENT1$", domainName: "DA", workstation: "CLIENT1",
                    serverChallenge: Array(repeating: 1, count: 8),
                    ntResponse: Array(repeating: 2, count: 64), lmResponse: [])
                guard case .unavailable = WinbindDomainController().validate(request, timeout: .seconds(5)) else {
                    Issue.record("winbind answered without a DC")
                    return
                }
            }
            var fixture = try fixture()
            fixture.connect()
            fixture.run(seconds: 120)
            #expect(fixture.serverNode.failureReason(4652) == WindowsError.secENoAuthenticatingAuthority.text)
            try SambaDC.control("start")
            restarted = true
            fixture.connect()
            fixture.run(seconds: 60)
            fixture.expectEstablished()
        }

        @Test("The DC unreachable: 4652 SEC_E_NO_AUTHENTICATING_AUTHORITY, as Windows reports it")
        func domainControllerDown() throws {
            var fixture = try fixture()
            let down = LDAPAccountDirectory(configuration: SambaDC.configuration(port: 1))
            fixture.simulation.directoryServer = { down.lookUp($0, timeout: .seconds(5)) }
            fixture.connect()
            fixture.run(seconds: 120)
            #expect(fixture.serverNode.failureReason(4652) == WindowsError.secENoAuthenticatingAuthority.text)
            fixture.expectNothingLeft()
        }
    }

}

extension SambaDCTests {
    /// Both DirectAccess tunnels against the Samba DC, the server holding no account secret: the
    /// computer's NTLM checked by the DC through winbind, the user's Kerberos ticket from the DC's
    /// KDC accepted with the keytab exported from it, every account and group from LDAP.
    @Suite("Both DirectAccess tunnels", .enabled(if: SambaDC.winbindAvailable))
    struct SambaTunnelTests {
        /// alice's credentials cache with her TGT and the ticket for the server, fetched from the DC's
        /// KDC by the MIT tools (the test process's own krb5.conf names the test KDC).
        static func aliceCache() throws -> String {
            let dc = SambaDC.directory ?? ""
            let cache = "\(dc)/run/cc_alice_tunnels"
            for (tool, arguments, input) in [
                ("/usr/bin/kinit", ["alice@DA.TEST"], "Alice-Pw-12345!\n"),
                ("/usr/bin/kvno", ["host/daserver.da.test@DA.TEST"], ""),
            ] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: tool)
                process.arguments = arguments
                process.environment = [
                    "KRB5_CONFIG": "\(dc)/etc/krb5.conf", "KRB5CCNAME": "FILE:\(cache)", "PATH": "/usr/bin:/bin",
                ]
                let stdin = Pipe()
                process.standardInput = stdin
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                stdin.fileHandleForWriting.write(Data(input.utf8))
                try stdin.fileHandleForWriting.close()
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "\(tool) \(arguments)")
            }
            return cache
        }

        /// DirectAccessClients' SID, read from the DC (it differs with each provisioning).
        static func groupSID(_ group: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/samba-tool")
            process.arguments = [
                "group", "show", group, "--attributes=objectSid", "-s", "\(SambaDC.directory ?? "")/etc/smb.conf",
            ]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return try #require(
                text.split(separator: "\n").first { $0.hasPrefix("objectSid: ") }.map { String($0.dropFirst(11)) })
        }

        /// The server and the client of both tunnels on the simulated network, the server asking the
        /// DC for accounts (unless `remoteDirectory` is nil) and for NTLM checks.
        static func run(
            authorization: AuthorizationPolicy, remoteDirectory: RemoteDirectoryPolicy?
        ) throws -> (Simulation, client: Int, server: Int) {
            let dc = SambaDC.directory ?? ""
            let server = DirectAccess.Server(
                firstPublicIPv4: IPv4Address("131.107.0.2")!, secondPublicIPv4: IPv4Address("131.107.0.3")!,
                certificate: TLSConfiguration(
                    identities: [try EngineFixture.identity("server-rsa")],
                    trust: .directAccessServer(roots: [try EngineFixture.root()], revocation: .weak),
                    crlCache: try EngineFixture.cachedCRL()),
                ntlm: NTLMAcceptorSetup(
                    configuration: DomainControllerTests.acceptorConfiguration, verifier: .domainController),
                keytab: .keytab("\(dc)/keytabs/daserver.keytab"),
                infrastructureServers: [DirectAccessFixture.dns, DirectAccessFixture.domainController],
                intranetPrefixes: [DirectAccessFixture.intranet], authorization: authorization)
            let client = DirectAccess.Client(
                address: DirectAccessFixture.clientAddress, serverFirstPublicIPv4: IPv4Address("131.107.0.2")!,
                serverSecondPublicIPv4: IPv4Address("131.107.0.3")!,
                // The computer of the DC's domain: its certificate names CLIENT1.da.test.
                certificate: TLSConfiguration(
                    identities: [try EngineFixture.identity("client-datest")],
                    trust: .directAccessClient(roots: [try EngineFixture.root()])),
                computerAccount: NTLMCredentials(
                    user: "CLIENT1$", domain: "DA", password: "Client1-Pw-12345!", workstation: "CLIENT1"),
                user: .cache(try aliceCache()),
                infrastructureServers: [DirectAccessFixture.dns, DirectAccessFixture.domainController],
                intranetPrefixes: [DirectAccessFixture.intranet])
            var simulation = Simulation(seed: 3, start: Date())
            let clientNode = simulation.add(
                "CLIENT1",
                Endpoint(
                    configuration: EndpointConfiguration(
                        computerName: "CLIENT1", principalName: "CLIENT1$@DA.TEST", rules: client.rules),
                    random: SeededRandomSource(seed: 31), now: simulation.now), addresses: [client.address])
            let serverNode = simulation.add(
                "DASERVER",
                Endpoint(
                    configuration: EndpointConfiguration(
                        computerName: "DASERVER", principalName: "host/daserver.da.test@DA.TEST", rules: server.rules,
                        remoteDirectory: remoteDirectory),
                    random: SeededRandomSource(seed: 32), now: simulation.now),
                addresses: [server.infrastructureTunnelEndpoint, server.intranetTunnelEndpoint])
            let directory = LDAPAccountDirectory(configuration: SambaDC.configuration())
            simulation.directoryServer = { directory.lookUp($0, timeout: .seconds(10)) }
            simulation.domainController = { WinbindDomainController().validate($0, timeout: .seconds(10)) }
            for (destination, port) in [
                (DirectAccessFixture.dns.first, UInt16(53)), (DirectAccessFixture.fileServer, 445),
            ] {
                simulation.inject(
                    .acquire(
                        TrafficRequest(
                            source: client.address, destination: destination, ipProtocol: 6, destinationPort: port)),
                    into: clientNode)
            }
            simulation.run(for: .seconds(30))
            return (simulation, clientNode, serverNode)
        }

        @Test(
            "The infrastructure tunnel (NTLM through the DC) and the intranet tunnel (alice's ticket from the DC), groups from LDAP"
        )
        func bothTunnels() throws {
            let authorization = AuthorizationPolicy(
                requiredComputerGroup: "DirectAccessClients", requiredUserGroup: "DirectAccessClients")
            let (simulation, client, server) = try Self.run(
                authorization: authorization, remoteDirectory: RemoteDirectoryPolicy())
            let serverSAs = simulation.nodes[server].endpoint.database.mainModes()
            #expect(serverSAs.count == 2, "\(simulation.nodes[server].eventIDs)")
            #expect(Set(serverSAs.compactMap(\.remoteSecondIdentity)) == ["DA\\CLIENT1$", "alice@DA.TEST"])
            #expect(simulation.nodes[client].endpoint.database.quickModeCount == 2)
        }

        @Test(
            "alice removed from the DirectAccess group in AD: her intranet tunnel is refused (4984 13905), the computer's stands"
        )
        func userRemovedFromGroup() throws {
            try SambaDC.sambaTool(["group", "removemembers", "DA-Nested", "alice"])
            defer { try? SambaDC.sambaTool(["group", "addmembers", "DA-Nested", "alice"]) }
            let authorization = AuthorizationPolicy(
                requiredComputerGroup: "DirectAccessClients", requiredUserGroup: "DirectAccessClients")
            let (simulation, _, server) = try Self.run(
                authorization: authorization, remoteDirectory: RemoteDirectoryPolicy())
            let node = simulation.nodes[server]
            #expect(node.failureReason(4984) == WindowsError.errorIpsecIkeAuthorizationFailure.text, "\(node.eventIDs)")
            #expect(node.endpoint.database.mainModes().compactMap(\.remoteSecondIdentity) == ["DA\\CLIENT1$"])
        }

        @Test(
            "alice's groups from her ticket's PAC, with no directory at all: a group SID she has gets her in, one she lacks refuses her (4984 13905)"
        )
        func groupsFromThePAC() throws {
            let group = try Self.groupSID("DirectAccessClients")
            let (allowed, _, allowedServer) = try Self.run(
                authorization: AuthorizationPolicy(requiredUserGroup: group), remoteDirectory: nil)
            #expect(
                allowed.nodes[allowedServer].endpoint.database.mainModes().compactMap(\.remoteSecondIdentity).contains(
                    "alice@DA.TEST"))
            let missing = String(group[..<group.lastIndex(of: "-")!]) + "-9999"
            let (refused, _, refusedServer) = try Self.run(
                authorization: AuthorizationPolicy(requiredUserGroup: missing), remoteDirectory: nil)
            let node = refused.nodes[refusedServer]
            #expect(node.failureReason(4984) == WindowsError.errorIpsecIkeAuthorizationFailure.text, "\(node.eventIDs)")
            #expect(
                node.endpoint.database.mainModes().compactMap(\.remoteSecondIdentity) == ["DA\\CLIENT1$"],
                "the infrastructure tunnel stands")
        }
    }
}

extension SambaDCTests {
    /// NTLM responses checked by the Samba DC through winbind.
    @Suite("NTLM through winbind", .enabled(if: SambaDC.winbindAvailable))
    struct Winbind {
        /// One NTLM exchange against the Samba DC through winbind; the acceptor's state at the end.
        static func exchange(
            user: String, password: String
        ) throws -> (NTLMInitiatorContext, NTLMAcceptorContext, Result<Void, GSSFailure>) {
            var random = SeededRandomSource(seed: 5)
            let now = Date()
            var initiator = NTLMInitiatorContext(
                credentials: NTLMCredentials(user: user, domain: "DA", password: password, workstation: "CLIENT1"))
            var acceptor = NTLMAcceptorContext(
                configuration: DomainControllerTests.acceptorConfiguration, verifier: .domainController)
            let negotiate = try initiator.step([], now: now, random: &random).token
            let challenge = try acceptor.step(negotiate, now: now, random: &random).token
            let authenticate = try initiator.step(challenge, now: now, random: &random).token
            guard
                case .needs(.domainController(let request)) = try acceptor.step(authenticate, now: now, random: &random)
            else {
                Issue.record("the AUTHENTICATE step did not ask for the domain controller")
                throw CancellationError()
            }
            #expect(!acceptor.isComplete && request.userName == user)
            let result = Result { () throws(GSSFailure) in
                _ = try acceptor.resume(
                    .domainController(WinbindDomainController().validate(request, timeout: .seconds(10))), now: now)
            }
            return (initiator, acceptor, result)
        }

        @Test("Through winbind to the Samba DC: CLIENT1$'s response checked, the session keys equal")
        func samba() throws {
            let (initiator, acceptor, result) = try Self.exchange(user: "CLIENT1$", password: "Client1-Pw-12345!")
            #expect(throws: Never.self) { try result.get() }
            #expect(acceptor.isComplete && acceptor.peerName == "DA\\CLIENT1$" && acceptor.isComputerAccount)
            #expect(acceptor.sessionKey != nil && acceptor.sessionKey == initiator.sessionKey)
        }

        @Test("Through winbind: a wrong password and a disabled account are refused with SEC_E_LOGON_DENIED")
        func sambaRefusals() throws {
            for (user, password) in [("CLIENT1$", "wrong"), ("CLIENT2$", "Client2-Pw-12345!"), ("nobody", "x")] {
                let (_, acceptor, result) = try Self.exchange(user: user, password: password)
                #expect(throws: GSSFailure.self) { try result.get() }
                if case .failure(let failure) = result {
                    #expect(failure.status == .secELogonDenied, "\(user): \(failure)")
                }
                #expect(!acceptor.isComplete)
            }
        }

        @Test("The infrastructure tunnel's NTLM against the Samba DC, end to end, with no NT hash on the server")
        func sambaEndToEnd() {
            var fixture = EngineFixture(
                clientAuth: [DomainControllerTests.client(password: "Client1-Pw-12345!")],
                serverAuth: [DomainControllerTests.server()])
            fixture.simulation.domainController = { WinbindDomainController().validate($0, timeout: .seconds(10)) }
            fixture.connect()
            fixture.run()
            fixture.expectEstablished()
        }
    }
}
