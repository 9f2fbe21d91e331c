import AuthIPSADatabase
import AuthIPWire
import Foundation
import Testing

@Suite("SA database: indexes under growth and churn")
struct IndexChurnTests {
    @Test("Lookups stay exact while thousands of SAs come and go and the indexes regrow")
    func churn() throws {
        var rng = SplitMix64(seed: 7)
        var db = SADatabase()
        var live: [UInt64: MainModeSARecord] = [:]
        var nextID: UInt64 = 1
        // Fewer rounds under a sanitizer (`scripts/sanitize.sh` sets AUTHIP_SANITIZER), where
        // each costs tens of times more and what is looked for is memory and thread errors.
        let rounds = ProcessInfo.processInfo.environment["AUTHIP_SANITIZER"] == nil ? 40 : 8
        for round in 0..<rounds {
            // Grow to a few thousand, then shrink, so slots and buckets are reused.
            let target = round % 2 == 0 ? 3000 : 500
            while live.count < target {
                let record = Fixture.mainMode(
                    id: nextID, remote: "10.\(nextID % 7).0.\(nextID % 200)",
                    remoteIdentity: "CORP\\HOST\(nextID % 900)$")
                try db.insert(record)
                try db.insert(
                    Fixture.quickMode(
                        id: nextID, mainModeID: nextID, inboundSPI: UInt32(nextID), outboundSPI: UInt32(nextID % 50)))
                live[nextID] = record
                nextID += 1
            }
            while live.count > target {
                let id = Array(live.keys)[Int(rng.next() % UInt64(live.count))]
                #expect(db.removeMainMode(id: id)?.quickModes.map(\.id) == [id])
                live[id] = nil
            }
            #expect(db.mainModeCount == live.count)
            #expect(db.quickModeCount == live.count)
        }
        for id in 1..<nextID {
            #expect(db.mainMode(id: id) == live[id])
            #expect(db.quickMode(inboundSPI: UInt32(id))?.mainModeID == live[id]?.id)
        }
        for record in live.values.prefix(200) {
            #expect(db.mainMode(cookies: record.cookies) == record)
            #expect(db.mainModes(remoteAddress: record.remote.ip).contains(record))
            #expect(db.mainModes(remoteIdentity: record.remoteIdentity!.lowercased()).contains(record))
        }
        let host7 = live.values.filter { $0.remoteIdentity == "CORP\\HOST7$" }.sorted { $0.id < $1.id }
        #expect(db.mainModes(remoteIdentity: "corp\\host7$") == host7)
        #expect(db.quickModes(outboundSPI: 7).map(\.id) == live.keys.filter { $0 % 50 == 7 }.sorted())
    }

    @Test("The identity index folds case as the pattern matcher does, beyond ASCII")
    func identityFoldingBeyondASCII() throws {
        var db = SADatabase()
        // U+212A KELVIN SIGN lower-cases to an ASCII k.
        try db.insert(Fixture.mainMode(id: 1, remoteIdentity: "\u{212A}erberos\\Host$"))
        try db.insert(Fixture.mainMode(id: 2, remote: "10.0.0.3", remoteIdentity: "CORP\\ÖLAF"))
        #expect(db.mainModes(remoteIdentity: "kerberos\\host$").map(\.id) == [1])
        #expect(db.mainModes(remoteIdentity: "KERBEROS\\HOST$").map(\.id) == [1])
        #expect(db.mainModes(remoteIdentity: "corp\\ölaf").map(\.id) == [2])
        #expect(db.mainModes(remoteIdentity: "corp\\olaf").isEmpty)
        #expect(
            db.mainModes(matching: MainModeSAFilter(remoteIdentity: Fixture.pattern("kerberos\\host$"))).map(\.id) == [
                1
            ])
        #expect(Fixture.pattern("kerberos*").matches("\u{212A}erberos\\Host$"))
    }

    @Test("A Main Mode SA whose first and second identities are the same is found once")
    func sameFirstAndSecondIdentity() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, remoteIdentity: "CORP\\alice"))
        try db.setSecondIdentities(mainModeID: 1, local: nil, remote: "corp\\ALICE", method: .kerberos)
        #expect(db.mainModes(remoteIdentity: "CORP\\Alice").map(\.id) == [1])
        let literal = Fixture.pattern("corp\\alice")
        #expect(db.mainModes(matching: MainModeSAFilter(remoteIdentity: literal)).map(\.id) == [1])
        #expect(
            db.mainModes(matching: MainModeSAFilter(remoteIdentity: literal, identityScope: .second)).map(\.id) == [1])
    }
}
