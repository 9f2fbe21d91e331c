import AuthIPSADatabase
import Foundation
import Testing

@Suite("SA database: expiry")
struct ExpiryTests {
    private let t0 = Fixture.epoch

    @Test("Expired SAs are reported by expiry then id, up to and including the given time")
    func ordering() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, expiresAfter: 300))
        try db.insert(Fixture.mainMode(id: 2, expiresAfter: 100))
        try db.insert(Fixture.mainMode(id: 3, expiresAfter: 100))
        try db.insert(Fixture.mainMode(id: 4, expiresAfter: 900))
        try db.insert(Fixture.quickMode(id: 12, mainModeID: 4, expiresAfter: 250))
        try db.insert(Fixture.quickMode(id: 11, mainModeID: 4, expiresAfter: 50))
        #expect(db.nextExpiry == t0 + 50)
        #expect(db.expired(at: t0 + 49) == ([], []))
        #expect(db.expired(at: t0 + 50) == ([], [11]))
        #expect(db.expired(at: t0 + 100) == ([2, 3], [11]))
        #expect(db.expired(at: t0 + 300) == ([2, 3, 1], [11, 12]))
    }

    @Test("A shortened or extended lifetime moves the SA in the expiry order")
    func updatedLifetimes() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, expiresAfter: 10_000))
        try db.insert(Fixture.quickMode(id: 11, mainModeID: 1, expiresAfter: 3600))
        try db.insert(Fixture.quickMode(id: 12, mainModeID: 1, expiresAfter: 3000))
        #expect(db.nextExpiry == t0 + 3000)
        // Rekey: SA 11 is to die soon.
        try db.updateQuickMode(id: 11) { $0.expires = t0 + 60 }
        #expect(db.nextExpiry == t0 + 60)
        #expect(db.expired(at: t0 + 60) == ([], [11]))
        // And SA 12 lives longer.
        try db.updateQuickMode(id: 12) { $0.expires = t0 + 20_000 }
        #expect(db.expired(at: t0 + 10_000) == ([1], [11]))
        try db.updateMainMode(id: 1) { $0.expires = t0 + 30 }
        #expect(db.nextExpiry == t0 + 30)
        #expect(db.expired(at: t0 + 30) == ([1], []))
    }

    @Test("Removed SAs are not reported as expired")
    func removedNotReported() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, expiresAfter: 10))
        try db.insert(Fixture.mainMode(id: 2, expiresAfter: 20))
        try db.insert(Fixture.quickMode(id: 21, mainModeID: 2, expiresAfter: 5))
        db.removeMainMode(id: 1)
        #expect(db.nextExpiry == t0 + 5)
        db.removeQuickMode(id: 21)
        #expect(db.nextExpiry == t0 + 20)
        #expect(db.expired(at: t0 + 100) == ([2], []))
    }

    @Test("A sweep removes expired SAs, cascading from expired Main Mode SAs")
    func sweep() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, expiresAfter: 100))
        try db.insert(Fixture.mainMode(id: 2, expiresAfter: 1000))
        try db.insert(Fixture.quickMode(id: 11, mainModeID: 1, expiresAfter: 500))
        try db.insert(Fixture.quickMode(id: 12, mainModeID: 1, expiresAfter: 50))
        try db.insert(Fixture.quickMode(id: 21, mainModeID: 2, expiresAfter: 80))
        try db.insert(Fixture.quickMode(id: 22, mainModeID: 2, expiresAfter: 800))

        #expect(db.removeExpired(at: t0 + 10).isEmpty)
        let swept = db.removeExpired(at: t0 + 100)
        #expect(swept.quickModes.map(\.id) == [12, 21])
        #expect(swept.mainModes.map(\.mainMode.id) == [1])
        #expect(swept.mainModes.first?.quickModes.map(\.id) == [11])
        #expect(db.mainModes(matching: MainModeSAFilter()).map(\.id) == [2])
        #expect(db.quickModes(matching: QuickModeSAFilter()).map(\.id) == [22])
        #expect(db.nextExpiry == t0 + 800)
        #expect(db.removeExpired(at: t0 + 100).isEmpty)
    }

    @Test("An empty database has no next expiry")
    func emptyDatabase() {
        let db = SADatabase()
        #expect(db.nextExpiry == nil)
        #expect(db.expired(at: Fixture.epoch) == ([], []))
    }

    @Test("Many SAs with scattered lifetimes come out of the queue in order")
    func heapOrderAtScale() throws {
        var db = SADatabase()
        var rng = SplitMix64(seed: 42)
        var expected: [(Date, UInt64)] = []
        for id: UInt64 in 1...5000 {
            let lifetime = TimeInterval(rng.next() % 10_000)
            try db.insert(Fixture.mainMode(id: id, expiresAfter: lifetime))
            expected.append((t0 + lifetime, id))
        }
        for id in stride(from: UInt64(1), through: 5000, by: 3) {
            db.removeMainMode(id: id)
        }
        for id in stride(from: UInt64(2), through: 5000, by: 7) where id % 3 != 1 {
            let lifetime = TimeInterval(rng.next() % 10_000)
            try db.updateMainMode(id: id) { $0.expires = t0 + lifetime }
            expected[Int(id) - 1].0 = t0 + lifetime
        }
        let live = expected.filter { $0.1 % 3 != 1 }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        #expect(db.nextExpiry == live.first?.0)
        let cutoff = t0 + 5000
        #expect(db.expired(at: cutoff).mainModes == live.filter { $0.0 <= cutoff }.map(\.1))
        #expect(db.removeExpired(at: cutoff).mainModes.map(\.mainMode.id) == live.filter { $0.0 <= cutoff }.map(\.1))
        #expect(db.nextExpiry == live.first { $0.0 > cutoff }?.0)
    }
}
