import AuthIPSADatabase
import AuthIPWire
import Testing

@Suite("SA database: insertion, lookup and index upkeep")
struct IndexTests {
    @Test("Every index finds a Main Mode SA after insertion")
    func mainModeIndexesAfterInsert() throws {
        var db = SADatabase()
        let mm = Fixture.mainMode(id: 7, remote: "10.0.0.9", remoteIdentity: "CORP\\CLIENT1$")
        try db.insert(mm)
        #expect(db.mainModeCount == 1)
        #expect(db.mainMode(id: 7) == mm)
        #expect(db.mainMode(cookies: mm.cookies) == mm)
        #expect(db.mainModes(remoteAddress: Fixture.ip("10.0.0.9")) == [mm])
        #expect(db.mainModes(remoteAddress: Fixture.ip("10.0.0.2")).isEmpty)
        #expect(db.mainModes(remoteIdentity: "corp\\client1$") == [mm])
        #expect(db.mainModes(remoteIdentity: "CORP\\CLIENT2$").isEmpty)
        #expect(db.mainMode(id: 8) == nil)
    }

    @Test("Every index finds a Quick Mode SA after insertion")
    func quickModeIndexesAfterInsert() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        let qm = Fixture.quickMode(id: 10, mainModeID: 1, inboundSPI: 0xAAAA, outboundSPI: 0xBBBB)
        try db.insert(qm)
        #expect(db.quickModeCount == 1)
        #expect(db.quickMode(id: 10) == qm)
        #expect(db.quickMode(inboundSPI: 0xAAAA) == qm)
        #expect(db.quickMode(inboundSPI: 0xBBBB) == nil)
        #expect(db.quickModes(outboundSPI: 0xBBBB) == [qm])
        #expect(db.quickModes(mainModeID: 1) == [qm])
        #expect(db.quickModes(mainModeID: 2).isEmpty)
    }

    @Test("A duplicate Main Mode id or cookie pair is refused and changes nothing")
    func duplicateMainModeRejected() throws {
        var db = SADatabase()
        let mm = Fixture.mainMode(id: 1)
        try db.insert(mm)
        #expect(throws: SADatabaseError.duplicateMainModeID(1)) {
            try db.insert(Fixture.mainMode(id: 1, cookies: CookiePair(initiator: 5, responder: 6)))
        }
        #expect(throws: SADatabaseError.duplicateCookiePair(mm.cookies)) {
            try db.insert(Fixture.mainMode(id: 2, cookies: mm.cookies))
        }
        #expect(db.mainModeCount == 1)
        #expect(db.mainMode(id: 2) == nil)
        #expect(SADatabaseError.duplicateMainModeID(1).hresult == 0x8032_0009)
    }

    @Test("A Quick Mode SA whose Main Mode SA is missing is refused")
    func quickModeWithoutParentRejected() {
        var db = SADatabase()
        #expect(throws: SADatabaseError.mainModeNotFound(99)) {
            try db.insert(Fixture.quickMode(id: 1, mainModeID: 99))
        }
        #expect(db.quickModeCount == 0)
        #expect(db.quickMode(id: 1) == nil)
        #expect(SADatabaseError.mainModeNotFound(99).hresult == 0x8032_0008)
    }

    @Test("A duplicate inbound SPI is refused; a duplicate outbound SPI is not")
    func duplicateInboundSPIRejected() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        try db.insert(Fixture.mainMode(id: 2, remote: "10.0.0.3"))
        let first = Fixture.quickMode(id: 10, mainModeID: 1, inboundSPI: 0x1234, outboundSPI: 0x9999)
        try db.insert(first)
        #expect(throws: SADatabaseError.duplicateInboundSPI(0x1234)) {
            try db.insert(Fixture.quickMode(id: 11, mainModeID: 2, inboundSPI: 0x1234))
        }
        #expect(throws: SADatabaseError.duplicateQuickModeID(10)) {
            try db.insert(Fixture.quickMode(id: 10, mainModeID: 2, inboundSPI: 0x5678))
        }
        // Two peers may pick the same SPI for their side.
        let second = Fixture.quickMode(
            id: 12, mainModeID: 2, inboundSPI: 0x5678, outboundSPI: 0x9999, remote: "10.0.0.3")
        try db.insert(second)
        #expect(db.quickModes(outboundSPI: 0x9999) == [first, second])
        #expect(db.quickMode(inboundSPI: 0x1234) == first)
        #expect(db.quickModeCount == 2)
    }

    @Test("Several Main Mode SAs with one remote address are all found, by id")
    func sharedRemoteAddress() throws {
        var db = SADatabase()
        for id: UInt64 in [5, 3, 9] { try db.insert(Fixture.mainMode(id: id, remote: "192.0.2.1")) }
        try db.insert(Fixture.mainMode(id: 4, remote: "192.0.2.2"))
        #expect(db.mainModes(remoteAddress: Fixture.ip("192.0.2.1")).map(\.id) == [3, 5, 9])
        #expect(db.mainModes(matching: MainModeSAFilter()).map(\.id) == [3, 4, 5, 9])
    }

    @Test("Removing from the middle of a chain keeps the rest of every index intact")
    func removeFromMiddleOfChains() throws {
        var db = SADatabase()
        for id: UInt64 in 1...5 {
            try db.insert(Fixture.mainMode(id: id, remote: "192.0.2.1", remoteIdentity: "CORP\\CLIENT1$"))
            try db.insert(Fixture.quickMode(id: 100 + id, mainModeID: 1, outboundSPI: 0x77))
        }
        #expect(db.removeQuickMode(id: 103)?.id == 103)
        #expect(db.quickModes(mainModeID: 1).map(\.id) == [101, 102, 104, 105])
        #expect(db.quickModes(outboundSPI: 0x77).map(\.id) == [101, 102, 104, 105])
        #expect(db.quickMode(inboundSPI: Fixture.quickMode(id: 103, mainModeID: 1).inboundSPI) == nil)

        let removal = db.removeMainMode(id: 3)
        let removed = try #require(removal)
        #expect(removed.quickModes.isEmpty)
        #expect(db.mainModes(remoteAddress: Fixture.ip("192.0.2.1")).map(\.id) == [1, 2, 4, 5])
        #expect(db.mainModes(remoteIdentity: "corp\\client1$").map(\.id) == [1, 2, 4, 5])
        #expect(db.mainMode(cookies: removed.mainMode.cookies) == nil)

        // The freed slots are reused without disturbing the survivors.
        try db.insert(Fixture.mainMode(id: 30, remote: "192.0.2.1"))
        try db.insert(Fixture.quickMode(id: 130, mainModeID: 30, outboundSPI: 0x77))
        #expect(db.mainModes(remoteAddress: Fixture.ip("192.0.2.1")).map(\.id) == [1, 2, 4, 5, 30])
        #expect(db.quickModes(outboundSPI: 0x77).map(\.id) == [101, 102, 104, 105, 130])
        #expect(db.quickModes(mainModeID: 30).map(\.id) == [130])
        #expect(db.quickModes(mainModeID: 1).map(\.id) == [101, 102, 104, 105])
    }

    @Test("Removing an SA that is not there returns nil and changes nothing")
    func removeMissing() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        #expect(db.removeMainMode(id: 2) == nil)
        #expect(db.removeQuickMode(id: 2) == nil)
        #expect(db.mainModeCount == 1)
    }

    @Test("The database is a value: a copy does not see later changes")
    func valueSemantics() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        let snapshot = db
        db.removeMainMode(id: 1)
        #expect(snapshot.mainMode(id: 1) != nil)
        #expect(db.mainMode(id: 1) == nil)
    }
}
