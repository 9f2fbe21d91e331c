import AuthIPSADatabase
import AuthIPWire
import Testing

@Suite("SA database: updates and traffic counters")
struct UpdateTests {
    @Test("The Quick Mode count of a Main Mode SA goes up by one")
    func quickModeCount() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        #expect(try db.incrementQuickModeCount(mainModeID: 1).quickModeCount == 1)
        try db.incrementQuickModeCount(mainModeID: 1)
        #expect(db.mainMode(id: 1)?.quickModeCount == 2)
        #expect(throws: SADatabaseError.mainModeNotFound(2)) { try db.incrementQuickModeCount(mainModeID: 2) }
    }

    @Test("Extended Mode identities are recorded and indexed")
    func secondIdentities() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        try db.setSecondIdentities(mainModeID: 1, local: "CORP\\svc", remote: "CORP\\alice", method: .kerberos)
        let record = try #require(db.mainMode(id: 1))
        #expect(record.localSecondIdentity == "CORP\\svc")
        #expect(record.remoteSecondIdentity == "CORP\\alice")
        #expect(record.secondAuthenticationMethod == .kerberos)
        #expect(db.mainModes(remoteIdentity: "corp\\ALICE").map(\.id) == [1])
        // A new user replaces the old one in the index.
        try db.setSecondIdentities(mainModeID: 1, local: nil, remote: "CORP\\bob", method: .ntlm)
        #expect(db.mainModes(remoteIdentity: "CORP\\alice").isEmpty)
        #expect(db.mainModes(remoteIdentity: "CORP\\bob").map(\.id) == [1])
        #expect(db.mainModes(remoteIdentity: "CORP\\CLIENT1$").map(\.id) == [1])
    }

    @Test("An update re-files changed cookies, address and SPIs, and refuses collisions")
    func reindexing() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, remote: "10.0.0.2"))
        try db.insert(Fixture.mainMode(id: 2, remote: "10.0.0.3"))
        let newCookies = CookiePair(initiator: 0xABC, responder: 0xDEF)
        let oldCookies = try #require(db.mainMode(id: 1)).cookies
        try db.updateMainMode(id: 1) {
            $0.cookies = newCookies
            $0.remote = EndpointAddress(Fixture.ip("10.0.0.50"), port: 4500)
        }
        #expect(db.mainMode(cookies: newCookies)?.id == 1)
        #expect(db.mainMode(cookies: oldCookies) == nil)
        #expect(db.mainModes(remoteAddress: Fixture.ip("10.0.0.50")).map(\.id) == [1])
        #expect(db.mainModes(remoteAddress: Fixture.ip("10.0.0.2")).isEmpty)

        let taken = try #require(db.mainMode(id: 2)).cookies
        #expect(throws: SADatabaseError.duplicateCookiePair(taken)) {
            try db.updateMainMode(id: 1) { $0.cookies = taken }
        }
        #expect(throws: SADatabaseError.identityChanged) { try db.updateMainMode(id: 1) { $0.id = 5 } }
        #expect(db.mainMode(cookies: newCookies)?.id == 1)

        try db.insert(Fixture.quickMode(id: 11, mainModeID: 1, inboundSPI: 0x100, outboundSPI: 0x200))
        try db.insert(Fixture.quickMode(id: 21, mainModeID: 2, inboundSPI: 0x101, outboundSPI: 0x201))
        try db.updateQuickMode(id: 11) {
            $0.inboundSPI = 0x300
            $0.outboundSPI = 0x400
        }
        #expect(db.quickMode(inboundSPI: 0x300)?.id == 11)
        #expect(db.quickMode(inboundSPI: 0x100) == nil)
        #expect(db.quickModes(outboundSPI: 0x400).map(\.id) == [11])
        #expect(db.quickModes(outboundSPI: 0x200).isEmpty)
        #expect(throws: SADatabaseError.duplicateInboundSPI(0x101)) {
            try db.updateQuickMode(id: 11) { $0.inboundSPI = 0x101 }
        }
        #expect(throws: SADatabaseError.identityChanged) { try db.updateQuickMode(id: 11) { $0.mainModeID = 2 } }
        #expect(throws: SADatabaseError.quickModeNotFound(99)) { try db.updateQuickMode(id: 99) { _ in } }
        #expect(db.quickMode(inboundSPI: 0x300)?.mainModeID == 1)
    }

    @Test("Inbound bytes are counted by SPI; outbound by SPI and destination")
    func byteCounters() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, remote: "10.0.0.2"))
        try db.insert(Fixture.mainMode(id: 2, remote: "10.0.0.3"))
        try db.insert(Fixture.quickMode(id: 11, mainModeID: 1, inboundSPI: 0x11, outboundSPI: 0x99))
        try db.insert(Fixture.quickMode(id: 21, mainModeID: 2, inboundSPI: 0x21, outboundSPI: 0x99))
        try db.insert(
            Fixture.quickMode(
                id: 22, mainModeID: 2, inboundSPI: 0x22, outboundSPI: 0x98,
                encapsulation: .tunnel(local: Fixture.ip("198.51.100.1"), remote: Fixture.ip("203.0.113.9"))))

        #expect(db.addInboundBytes(1500, spi: 0x11)?.bytesIn == 1500)
        db.addInboundBytes(500, spi: 0x11)
        #expect(db.quickMode(id: 11)?.bytesIn == 2000)
        #expect(db.addInboundBytes(1, spi: 0x77) == nil)

        // Both peers chose SPI 0x99; the destination tells the SAs apart.
        #expect(db.addOutboundBytes(100, spi: 0x99, destination: Fixture.ip("10.0.0.3"))?.id == 21)
        #expect(db.quickMode(id: 11)?.bytesOut == 0)
        #expect(db.quickMode(id: 21)?.bytesOut == 100)
        #expect(db.addOutboundBytes(100, spi: 0x99, destination: Fixture.ip("10.0.0.4")) == nil)
        // A tunnel SA's destination is the tunnel's far end.
        #expect(db.addOutboundBytes(7, spi: 0x98, destination: Fixture.ip("203.0.113.9"))?.bytesOut == 7)
        #expect(db.addOutboundBytes(7, spi: 0x98, destination: Fixture.ip("10.0.0.3")) == nil)
    }

    @Test("Counters saturate, and the kilobyte lifetime is reached in either direction")
    func kilobyteLifetime() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        try db.insert(Fixture.quickMode(id: 11, mainModeID: 1, inboundSPI: 0x11))
        #expect(db.addInboundBytes(100_000 * 1024 - 1, spi: 0x11)?.kilobyteLifetimeReached == false)
        #expect(db.addInboundBytes(1, spi: 0x11)?.kilobyteLifetimeReached == true)
        #expect(db.addInboundBytes(.max, spi: 0x11)?.bytesIn == .max)
        var unlimited = Fixture.quickMode(id: 1, mainModeID: 1)
        unlimited.lifetimeKilobytes = 0
        unlimited.bytesOut = .max
        #expect(!unlimited.kilobyteLifetimeReached)
    }
}
