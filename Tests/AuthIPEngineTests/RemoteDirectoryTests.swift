import AuthIP
import AuthIPAccounts
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPWire
import Foundation
import Synchronization
import Testing

/// Authorization against a remote directory: the engine asks its driver for the account and
/// holds the negotiation until the answer comes back.
@Suite("A remote account directory: look-ups as outputs, the cache, a directory that is down")
struct RemoteDirectoryTests {
    /// The directory's accounts by upper-case name, and the look-ups it answered.
    final class Directory: Sendable {
        let accounts: Mutex<[String: Account]>
        let queries = Mutex<[String]>([])

        init(_ accounts: [Account]) {
            self.accounts = Mutex(
                Dictionary(uniqueKeysWithValues: accounts.map { ($0.samAccountName.uppercased(), $0) }))
        }

        func answer(_ query: AccountQuery) -> AccountLookup {
            queries.withLock { $0.append(query.name) }
            return accounts.withLock { $0[query.key] }.map { .found($0) } ?? .notFound
        }

        var queryCount: Int { queries.withLock { $0.count } }
    }

    static func computer(enabled: Bool) -> Account {
        Account(samAccountName: "CLIENT1$", domain: "CORP", kind: .computer, isEnabled: enabled, ntHash: .empty)
    }

    static func fixture(
        _ directory: Directory?, policy: RemoteDirectoryPolicy = RemoteDirectoryPolicy()
    ) throws -> EngineFixture {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverDirectory: policy)
        if let directory { fixture.simulation.directoryServer = { directory.answer($0) } }
        return fixture
    }

    @Test("An enabled computer account: the server asks once for CLIENT1$, then the tunnel comes up")
    func enabled() throws {
        let directory = Directory([Self.computer(enabled: true)])
        var fixture = try Self.fixture(directory)
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(directory.queries.withLock { $0 } == ["CLIENT1$"])
    }

    @Test("A disabled computer account in the directory: 4652 with 13905, nothing left")
    func disabled() throws {
        var fixture = try Self.fixture(Directory([Self.computer(enabled: false)]))
        fixture.connect()
        fixture.run(seconds: 120)
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
        fixture.expectNothingLeft()
    }

    @Test("An account the directory does not know is refused with 13905")
    func unknown() throws {
        var fixture = try Self.fixture(Directory([]))
        fixture.connect()
        fixture.run(seconds: 120)
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        fixture.expectNothingLeft()
    }

    @Test(
        "A directory that never answers: after the timeout, 4652 SEC_E_NO_AUTHENTICATING_AUTHORITY; the next attempt asks again"
    )
    func directoryDown() throws {
        var fixture = try Self.fixture(
            nil, policy: RemoteDirectoryPolicy(cacheLifetime: .seconds(600), timeout: .seconds(5)))
        fixture.connect()
        fixture.run(seconds: 120)
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.secENoAuthenticatingAuthority.text)
        fixture.expectNothingLeft()
        let directory = Directory([Self.computer(enabled: true)])
        fixture.simulation.directoryServer = { directory.answer($0) }
        fixture.connect()
        fixture.run(seconds: 60)
        fixture.expectEstablished()
        #expect(directory.queryCount == 1, "an unavailable directory is not cached")
    }

    @Test("Answers are cached for their lifetime, dropped when the block list changes, and asked again after it")
    func cache() throws {
        let directory = Directory([Self.computer(enabled: true)])
        var fixture = try Self.fixture(
            directory, policy: RemoteDirectoryPolicy(cacheLifetime: .seconds(300), timeout: .seconds(5)))
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        fixture.simulation.inject(.removeMainModeSAs(MainModeSAFilter()), into: fixture.server)
        fixture.run(seconds: 5)
        fixture.connect()
        fixture.run(seconds: 30)
        fixture.expectEstablished()
        #expect(directory.queryCount == 1, "the second negotiation used the cached answer")
        // Disabling the account takes effect when the answer is dropped: a block-list change
        // drops every answer at once.
        directory.accounts.withLock { $0["CLIENT1$"] = Self.computer(enabled: false) }
        fixture.simulation.inject(.block(WildcardPattern("*nobody*")!, until: nil), into: fixture.server)
        fixture.simulation.inject(.removeMainModeSAs(MainModeSAFilter()), into: fixture.server)
        fixture.run(seconds: 5)
        fixture.connect()
        fixture.run(seconds: 120)
        #expect(directory.queryCount == 2)
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        // Enabled again: refused until the (new) answer expires, then asked again.
        directory.accounts.withLock { $0["CLIENT1$"] = Self.computer(enabled: true) }
        fixture.run(seconds: 300)
        fixture.connect()
        fixture.run(seconds: 60)
        fixture.expectEstablished()
        #expect(directory.queryCount == 3)
    }

    @Test("A required group that no directory and no PAC can vouch for refuses the peer (4652 13905)")
    func groupWithoutSource() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverAuthorization: AuthorizationPolicy(requiredComputerGroup: "DirectAccessClients"))
        fixture.connect()
        fixture.run(seconds: 120)
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        fixture.expectNothingLeft()
    }

    @Test("Negotiations that wait for the same account share one look-up")
    func sharedLookUp() throws {
        let directory = Directory([Self.computer(enabled: true)])
        var fixture = try Self.fixture(directory)
        fixture.simulation.directoryLatency = .seconds(2)
        var endpoints: [Int] = []
        for index in 2...4 as ClosedRange<UInt8> {
            let address = IPAddress("2001:db8:c::\(index)")!
            endpoints.append(
                fixture.simulation.add(
                    "CLIENT\(index)",
                    EngineFixture.endpoint(
                        "CLIENT\(index)", principal: "CLIENT1$@DA.TEST",
                        rules: [
                            EngineFixture.rule(
                                "client", local: address, remote: AddressRange(fixture.serverAddress),
                                auth: [try EngineFixture.clientCertificate()])
                        ],
                        seed: UInt64(index)), addresses: [address]))
            fixture.simulation.inject(
                .acquire(
                    TrafficRequest(
                        source: address, destination: fixture.serverAddress, ipProtocol: 6,
                        destinationPort: 445)), into: endpoints.last!)
        }
        fixture.run(seconds: 30)
        #expect(directory.queryCount == 1)
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 3)
        for node in endpoints { #expect(fixture.simulation.nodes[node].endpoint.database.quickModeCount == 1) }
    }
}
