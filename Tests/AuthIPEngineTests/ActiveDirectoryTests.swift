import AuthIP
import AuthIPDirectory
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPSimulation
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

    static func configuration(security: LDAPDirectoryConfiguration.Security = .ldaps, password: String = "Svc-Authip-Pw-12345!",
                              caFile: String? = nil, port: Int? = nil) -> LDAPDirectoryConfiguration {
        let scheme = security == .ldaps ? "ldaps" : "ldap"
        return LDAPDirectoryConfiguration(
            uri: "\(scheme)://\(address)" + (port.map { ":\($0)" } ?? ""), security: security,
            caFile: caFile ?? "\(directory ?? "")/private/tls/ca.pem", bindDN: "svc-authip@da.test", password: password,
            baseDN: "DC=da,DC=test", domain: "DA")
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

@Suite("Active Directory over LDAP against a Samba AD DC", .enabled(if: SambaDC.isRunning), .serialized)
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
        #expect(client.samAccountName == "CLIENT1$" && client.domain == "DA" && client.kind == .computer && client.isEnabled)
        #expect(client.isMember(of: "DirectAccessClients"))
    }

    @Test("A user by userPrincipalName, a member of DirectAccessClients through the nested DA-Nested")
    func nestedUser() throws {
        let alice = try account("alice@da.test")
        #expect(alice.samAccountName == "alice" && alice.kind == .user && alice.isEnabled)
        #expect(alice.groups == ["DA-Nested", "DirectAccessClients"])
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

    @Test("StartTLS on port 389 reaches the same directory")
    func startTLS() throws {
        let client = try account("CLIENT1$", LDAPAccountDirectory(configuration: SambaDC.configuration(security: .startTLS)))
        #expect(client.isEnabled)
    }

    @Test("A wrong service password, a CA the DC's certificate does not chain to, a closed port: unavailable")
    func unavailable() {
        let cases: [(LDAPDirectoryConfiguration, String)] = [
            (SambaDC.configuration(password: "wrong"), "Invalid credentials"),
            (SambaDC.configuration(caFile: "/etc/ssl/certs/ca-certificates.crt"), "Can't contact LDAP server"),
            (SambaDC.configuration(port: 1), "Can't contact LDAP server"),
        ]
        for (configuration, expected) in cases {
            let lookup = LDAPAccountDirectory(configuration: configuration).lookUp(AccountQuery(name: "CLIENT1$"), timeout: .seconds(5))
            guard case .unavailable(let reason) = lookup else {
                Issue.record("\(configuration.uri): \(lookup)")
                continue
            }
            #expect(reason.contains(expected), "\(reason)")
        }
    }

    /// A server that asks the DC for each account, requiring DirectAccessClients.
    func fixture() throws -> EngineFixture {
        var fixture = EngineFixture(clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
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
