import AuthIPSADatabase
import AuthIPWire
import Testing

@Suite("SA database: filtered queries")
struct FilterTests {
    /// Three Main Mode SAs: a Kerberos client with a user in Extended Mode, a certificate
    /// client, and an NTLM initiator-side SA without a peer identity.
    private func populated() throws -> SADatabase {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, remote: "10.0.0.21", remoteIdentity: "CORP\\CLIENT1$", method: .kerberos))
        try db.setSecondIdentities(mainModeID: 1, local: nil, remote: "CORP\\alice", method: .kerberos)
        try db.insert(
            Fixture.mainMode(
                id: 2, remote: "10.0.0.22", remoteIdentity: "CN=client1.corp.contoso.com", method: .tls,
                ruleName: "Domain isolation"))
        try db.insert(
            Fixture.mainMode(
                id: 3, role: .initiator, local: "2001:db8::1", remote: "2001:db8::3",
                remoteIdentity: nil, method: .ntlm))
        try db.insert(
            Fixture.quickMode(id: 11, mainModeID: 1, inboundSPI: 0x11, outboundSPI: 0x1011, remote: "10.0.0.21"))
        try db.insert(
            Fixture.quickMode(id: 12, mainModeID: 1, inboundSPI: 0x12, outboundSPI: 0x1012, remote: "10.0.0.21"))
        try db.insert(
            Fixture.quickMode(id: 21, mainModeID: 2, inboundSPI: 0x21, outboundSPI: 0x11, remote: "10.0.0.22"))
        try db.insert(
            Fixture.quickMode(
                id: 31, mainModeID: 3, inboundSPI: 0x31, outboundSPI: 0x1031,
                local: "2001:db8::1", remote: "2001:db8::3"))
        return db
    }

    @Test("RemoteFirstId -like *client1* selects the Kerberos and certificate clients")
    func remoteFirstIdentityWildcard() throws {
        let db = try populated()
        let filter = MainModeSAFilter(remoteIdentity: Fixture.pattern("*client1*"), identityScope: .first)
        #expect(db.mainModes(matching: filter).map(\.id) == [1, 2])
    }

    @Test("An identity pattern tries the first, the second or either identity as asked")
    func identityScopes() throws {
        let db = try populated()
        let alice = Fixture.pattern("*\\ALICE")
        #expect(db.mainModes(matching: MainModeSAFilter(remoteIdentity: alice, identityScope: .first)).isEmpty)
        #expect(
            db.mainModes(matching: MainModeSAFilter(remoteIdentity: alice, identityScope: .second)).map(\.id) == [1])
        #expect(db.mainModes(matching: MainModeSAFilter(remoteIdentity: alice)).map(\.id) == [1])
        // A literal pattern takes the identity index and must agree with the scan.
        let literal = Fixture.pattern("corp\\Alice")
        #expect(db.mainModes(matching: MainModeSAFilter(remoteIdentity: literal)).map(\.id) == [1])
        #expect(db.mainModes(matching: MainModeSAFilter(remoteIdentity: literal, identityScope: .first)).isEmpty)
        #expect(db.mainModes(remoteIdentity: "CORP\\ALICE").map(\.id) == [1])
        #expect(
            db.mainModes(matching: MainModeSAFilter(localIdentity: Fixture.pattern("corp\\server?$"))).map(\.id) == [
                1, 2, 3,
            ])
    }

    @Test("Address ranges, methods, role and rule name narrow the selection")
    func otherConditions() throws {
        let db = try populated()
        #expect(
            db.mainModes(matching: MainModeSAFilter(remoteAddress: AddressRange("10.0.0.0/24"))).map(\.id) == [1, 2])
        #expect(
            db.mainModes(matching: MainModeSAFilter(remoteAddress: AddressRange(Fixture.ip("10.0.0.22")))).map(\.id)
                == [2])
        #expect(db.mainModes(matching: MainModeSAFilter(remoteAddress: AddressRange("2001:db8::/32"))).map(\.id) == [3])
        #expect(
            db.mainModes(matching: MainModeSAFilter(localAddress: AddressRange(Fixture.ip("10.0.0.1")))).map(\.id) == [
                1, 2,
            ])
        #expect(db.mainModes(matching: MainModeSAFilter(authenticationMethod: .tls)).map(\.id) == [2])
        #expect(db.mainModes(matching: MainModeSAFilter(secondAuthenticationMethod: .kerberos)).map(\.id) == [1])
        #expect(db.mainModes(matching: MainModeSAFilter(role: .initiator)).map(\.id) == [3])
        #expect(db.mainModes(matching: MainModeSAFilter(ruleName: Fixture.pattern("domain*"))).map(\.id) == [2])
        let both = MainModeSAFilter(remoteAddress: AddressRange("10.0.0.0/24"), authenticationMethod: .kerberos)
        #expect(db.mainModes(matching: both).map(\.id) == [1])
    }

    @Test("Quick Mode filters: either SPI, selector overlap, Main Mode id and Main Mode conditions")
    func quickModeFilters() throws {
        let db = try populated()
        #expect(db.quickModes(matching: QuickModeSAFilter()).map(\.id) == [11, 12, 21, 31])
        // 0x11 is SA 11's inbound SPI and SA 21's outbound one.
        #expect(db.quickModes(matching: QuickModeSAFilter(spi: 0x11)).map(\.id) == [11, 21])
        #expect(db.quickModes(matching: QuickModeSAFilter(spi: 0x1012)).map(\.id) == [12])
        #expect(
            db.quickModes(matching: QuickModeSAFilter(remoteAddress: AddressRange("10.0.0.16-10.0.0.21"))).map(\.id)
                == [11, 12])
        #expect(
            db.quickModes(matching: QuickModeSAFilter(localAddress: AddressRange("2001:db8::/64"))).map(\.id) == [31])
        #expect(db.quickModes(matching: QuickModeSAFilter(mainModeID: 1)).map(\.id) == [11, 12])
        #expect(db.quickModes(matching: QuickModeSAFilter(mainModeID: 9)).isEmpty)
        let certificateClients = MainModeSAFilter(authenticationMethod: .tls)
        #expect(db.quickModes(matching: QuickModeSAFilter(mainMode: certificateClients)).map(\.id) == [21])
        #expect(db.quickModes(matching: QuickModeSAFilter(spi: 0x11, mainMode: certificateClients)).map(\.id) == [21])
        #expect(db.quickModes(matching: QuickModeSAFilter(mainModeID: 1, mainMode: certificateClients)).isEmpty)
    }
}
