import AuthIPSADatabase
import AuthIPWire
import Foundation
import Testing

@Suite("SA database: removal and its cascade")
struct RemovalTests {
    @Test("Removing a Main Mode SA takes its Quick Mode SAs with it")
    func cascade() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        try db.insert(Fixture.mainMode(id: 2, remote: "10.0.0.3"))
        for id: UInt64 in [13, 11, 12] { try db.insert(Fixture.quickMode(id: id, mainModeID: 1)) }
        try db.insert(Fixture.quickMode(id: 21, mainModeID: 2))

        let removal = db.removeMainMode(id: 1)
        let removed = try #require(removal)
        #expect(removed.mainMode.id == 1)
        #expect(removed.quickModes.map(\.id) == [11, 12, 13])
        #expect(db.mainModeCount == 1)
        #expect(db.quickModeCount == 1)
        for id: UInt64 in 11...13 {
            #expect(db.quickMode(id: id) == nil)
            #expect(db.quickMode(inboundSPI: Fixture.quickMode(id: id, mainModeID: 1).inboundSPI) == nil)
            #expect(db.quickModes(outboundSPI: Fixture.quickMode(id: id, mainModeID: 1).outboundSPI).isEmpty)
        }
        #expect(db.quickModes(mainModeID: 1).isEmpty)
        #expect(db.quickModes(mainModeID: 2).map(\.id) == [21])
        // The id is free again, and a new SA under it starts without children.
        try db.insert(Fixture.mainMode(id: 1))
        #expect(db.quickModes(mainModeID: 1).isEmpty)
    }

    @Test("Removal by filter returns each Main Mode SA with its own Quick Mode SAs, by id")
    func removeMatching() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 3, remote: "10.0.0.3", remoteIdentity: "CN=client1.corp.contoso.com"))
        try db.insert(Fixture.mainMode(id: 1, remote: "10.0.0.1", remoteIdentity: "CORP\\CLIENT1$"))
        try db.insert(Fixture.mainMode(id: 2, remote: "10.0.0.2", remoteIdentity: "CORP\\CLIENT2$"))
        try db.insert(Fixture.quickMode(id: 31, mainModeID: 3))
        try db.insert(Fixture.quickMode(id: 11, mainModeID: 1))
        try db.insert(Fixture.quickMode(id: 21, mainModeID: 2))

        let removed = db.removeMainModes(matching: MainModeSAFilter(remoteIdentity: Fixture.pattern("*client1*")))
        #expect(removed.map(\.mainMode.id) == [1, 3])
        #expect(removed.map { $0.quickModes.map(\.id) } == [[11], [31]])
        #expect(db.mainModes(matching: MainModeSAFilter()).map(\.id) == [2])
        #expect(db.quickModes(matching: QuickModeSAFilter()).map(\.id) == [21])
        #expect(db.removeMainModes(matching: MainModeSAFilter(remoteIdentity: Fixture.pattern("*client1*"))).isEmpty)
    }

    @Test("Removing Quick Mode SAs leaves their Main Mode SA in place")
    func removeQuickModes() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        try db.insert(Fixture.quickMode(id: 11, mainModeID: 1, remote: "10.0.0.2"))
        try db.insert(Fixture.quickMode(id: 12, mainModeID: 1, remote: "10.0.0.99"))
        let removed = db.removeQuickModes(
            matching: QuickModeSAFilter(remoteAddress: AddressRange(Fixture.ip("10.0.0.99"))))
        #expect(removed.map(\.id) == [12])
        #expect(db.mainMode(id: 1) != nil)
        #expect(db.quickModes(mainModeID: 1).map(\.id) == [11])
    }

    @Test("Removing everything empties every index")
    func removeAll() throws {
        var db = SADatabase()
        for id: UInt64 in 1...20 {
            try db.insert(Fixture.mainMode(id: id, remote: "10.0.1.\(id % 3)"))
            try db.insert(Fixture.quickMode(id: 100 + id, mainModeID: id))
        }
        #expect(db.removeMainModes(matching: MainModeSAFilter()).count == 20)
        #expect(db.mainModeCount == 0)
        #expect(db.quickModeCount == 0)
        #expect(db.nextExpiry == nil)
        #expect(db.mainModes(remoteAddress: Fixture.ip("10.0.1.1")).isEmpty)
        #expect(db.mainModes(remoteIdentity: "CORP\\CLIENT1$").isEmpty)
        #expect(db.expired(at: Fixture.epoch + 1e9) == ([], []))
    }
}
