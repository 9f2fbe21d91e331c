import AuthIPSADatabase
import AuthIPWire
import Foundation
import Testing

/// The database against a naive model (two dictionaries and linear scans) over thousands of
/// random operations drawn from small pools of ids, SPIs, addresses and identities, so that
/// collisions, shared index keys, slot reuse and cascades all happen often.
@Suite("SA database against a naive model")
struct RandomizedConsistencyTests {
    private struct Model {
        var mainModes: [UInt64: MainModeSARecord] = [:]
        var quickModes: [UInt64: QuickModeSARecord] = [:]

        func children(of id: UInt64) -> [QuickModeSARecord] {
            quickModes.values.filter { $0.mainModeID == id }.sorted { $0.id < $1.id }
        }

        mutating func removeMainMode(_ id: UInt64) -> RemovedMainMode? {
            guard let record = mainModes.removeValue(forKey: id) else { return nil }
            let children = children(of: id)
            for child in children { quickModes[child.id] = nil }
            return RemovedMainMode(mainMode: record, quickModes: children)
        }
    }

    private static let addresses = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "192.0.2.7", "2001:db8::1", "2001:db8::2"].map(
        Fixture.ip)
    private static let identities: [String?] = [
        nil, "CORP\\CLIENT1$", "corp\\client1$", "CORP\\CLIENT2$",
        "CN=client1.corp.contoso.com", "ÄRGER\\Ölaf", "ärger\\ölaf",
    ]
    private static let t0 = Fixture.epoch

    /// Operations between whole checks: fewer checks under a sanitizer (`scripts/sanitize.sh`
    /// sets AUTHIP_SANITIZER), where each costs a hundred times more and what is looked for is
    /// memory and thread errors, not another model disagreement.
    static let checkInterval = ProcessInfo.processInfo.environment["AUTHIP_SANITIZER"] == nil ? 20 : 250

    @Test("10,000 random operations leave every index agreeing with the model")
    func randomOperations() throws {
        var rng = SplitMix64(seed: 0x5ADB)
        var db = SADatabase()
        var model = Model()
        var now = Self.t0
        var peak = (mainModes: 0, quickModes: 0)
        // Outcomes that disagree with the model, by source line, reported once at the end.
        var disagreements: Set<Int> = []
        func agree(_ agrees: Bool, line: Int = #line) { if !agrees { disagreements.insert(line) } }
        defer {
            #expect(disagreements.isEmpty, "operations disagree with the model at lines \(disagreements.sorted())")
        }

        func pick<T>(_ values: [T]) -> T { values[Int(rng.next() % UInt64(values.count))] }
        func below(_ n: UInt64) -> UInt64 { rng.next() % n }

        for step in 0..<10_000 {
            switch below(100) {
            case 0..<25:
                let record = Fixture.mainMode(
                    id: 1 + below(200), cookies: CookiePair(initiator: below(400), responder: 1),
                    remote: pick(Self.addresses).description, remoteIdentity: pick(Self.identities),
                    expiresAfter: now.timeIntervalSince(Self.t0) + TimeInterval(below(20_000)))
                let expected: SADatabaseError? =
                    model.mainModes[record.id] != nil
                    ? .duplicateMainModeID(record.id)
                    : model.mainModes.values.contains { $0.cookies == record.cookies }
                        ? .duplicateCookiePair(record.cookies) : nil
                agree(Self.outcome { try db.insert(record) } == expected)
                if expected == nil { model.mainModes[record.id] = record }
            case 25..<55:
                let record = Fixture.quickMode(
                    id: 1 + below(600), mainModeID: 1 + below(200), inboundSPI: UInt32(below(500)),
                    outboundSPI: UInt32(below(40)), remote: pick(Self.addresses).description,
                    expiresAfter: now.timeIntervalSince(Self.t0) + TimeInterval(below(20_000)))
                let expected: SADatabaseError? =
                    model.quickModes[record.id] != nil
                    ? .duplicateQuickModeID(record.id)
                    : model.mainModes[record.mainModeID] == nil
                        ? .mainModeNotFound(record.mainModeID)
                        : model.quickModes.values.contains { $0.inboundSPI == record.inboundSPI }
                            ? .duplicateInboundSPI(record.inboundSPI) : nil
                agree(Self.outcome { try db.insert(record) } == expected)
                if expected == nil { model.quickModes[record.id] = record }
            case 55..<62:
                let id = 1 + below(200)
                agree(db.removeMainMode(id: id) == model.removeMainMode(id))
            case 62..<70:
                let id = 1 + below(600)
                agree(db.removeQuickMode(id: id) == model.quickModes.removeValue(forKey: id))
            case 70..<78:
                let id = 1 + below(200)
                let (remote, identity, second) = (pick(Self.addresses), pick(Self.identities), pick(Self.identities))
                let (expires, cookies) = (
                    now + TimeInterval(below(20_000)), CookiePair(initiator: below(400), responder: 1)
                )
                let kind = below(4)
                let change: (inout MainModeSARecord) -> Void = {
                    switch kind {
                    case 0: $0.remote = EndpointAddress(remote)
                    case 1: ($0.remoteIdentity, $0.remoteSecondIdentity) = (identity, second)
                    case 2: $0.expires = expires
                    default: $0.cookies = cookies
                    }
                }
                var expected: SADatabaseError?
                if var record = model.mainModes[id] {
                    change(&record)
                    if model.mainModes.values.contains(where: { $0.id != id && $0.cookies == record.cookies }) {
                        expected = .duplicateCookiePair(record.cookies)
                    } else {
                        model.mainModes[id] = record
                    }
                } else {
                    expected = .mainModeNotFound(id)
                }
                agree(Self.outcome { try db.updateMainMode(id: id, change) } == expected)
            case 78..<86:
                let id = 1 + below(600)
                let (expires, inbound, outbound) = (
                    now + TimeInterval(below(5_000)), UInt32(below(500)), UInt32(below(40))
                )
                let kind = below(3)
                let change: (inout QuickModeSARecord) -> Void = {
                    switch kind {
                    case 0: $0.expires = expires
                    case 1: $0.inboundSPI = inbound
                    default: $0.outboundSPI = outbound
                    }
                }
                var expected: SADatabaseError?
                if var record = model.quickModes[id] {
                    change(&record)
                    if model.quickModes.values.contains(where: { $0.id != id && $0.inboundSPI == record.inboundSPI }) {
                        expected = .duplicateInboundSPI(record.inboundSPI)
                    } else {
                        model.quickModes[id] = record
                    }
                } else {
                    expected = .quickModeNotFound(id)
                }
                agree(Self.outcome { try db.updateQuickMode(id: id, change) } == expected)
            case 86..<92 where below(8) != 0:
                break
            case 86..<89:
                let address = pick(Self.addresses)
                let removed = db.removeMainModes(matching: MainModeSAFilter(remoteAddress: AddressRange(address)))
                let expected = model.mainModes.values.filter { $0.remote.ip == address }.map(\.id).sorted().compactMap {
                    model.removeMainMode($0)
                }
                agree(removed == expected)
            case 89..<92:
                let pattern = pick(["*client1*", "CORP\\CLIENT?$", "*[öo]laf", "cn=*"])
                let filter = MainModeSAFilter(remoteIdentity: Fixture.pattern(pattern))
                let removed = db.removeMainModes(matching: filter)
                let expected = model.mainModes.values.filter(filter.matches).map(\.id).sorted().compactMap {
                    model.removeMainMode($0)
                }
                agree(removed == expected)
            case 92..<96:
                now += TimeInterval(below(400))
                let swept = db.removeExpired(at: now)
                let dueQuickModes = model.quickModes.values.filter { $0.expires <= now }.sorted {
                    ($0.expires, $0.id) < ($1.expires, $1.id)
                }
                for record in dueQuickModes { model.quickModes[record.id] = nil }
                let dueMainModes = model.mainModes.values.filter { $0.expires <= now }.sorted {
                    ($0.expires, $0.id) < ($1.expires, $1.id)
                }
                agree(swept.quickModes == dueQuickModes)
                agree(swept.mainModes == dueMainModes.compactMap { model.removeMainMode($0.id) })
            default:
                let spi = UInt32(below(500))
                let added = db.addInboundBytes(100, spi: spi)
                if let id = model.quickModes.values.first(where: { $0.inboundSPI == spi })?.id {
                    model.quickModes[id]!.bytesIn += 100
                    agree(added == model.quickModes[id])
                } else {
                    agree(added == nil)
                }
            }
            peak = (max(peak.mainModes, model.mainModes.count), max(peak.quickModes, model.quickModes.count))
            if step % Self.checkInterval == 0 { try check(db, against: model, now: now) }
        }
        try check(db, against: model, now: now)
        agree(peak.mainModes > 50)
        agree(peak.quickModes > 50)
    }

    /// The error a change threw, or nil when it succeeded.
    private static func outcome(_ body: () throws -> Void) -> SADatabaseError? {
        do {
            try body()
            return nil
        } catch let error as SADatabaseError {
            return error
        } catch {
            Issue.record(error)
            return nil
        }
    }

    /// Every index against the model; the disagreements (by source line) are reported at once,
    /// so that the thousands of comparisons cost a comparison each.
    private func check(_ db: SADatabase, against model: Model, now: Date) throws {
        var disagreements: Set<Int> = []
        func agree(_ agrees: Bool, line: Int = #line) { if !agrees { disagreements.insert(line) } }
        defer {
            #expect(disagreements.isEmpty, "the indexes disagree with the model at lines \(disagreements.sorted())")
        }
        let mainModes = model.mainModes.values.sorted { $0.id < $1.id }
        let quickModes = model.quickModes.values.sorted { $0.id < $1.id }
        agree(db.mainModeCount == mainModes.count)
        agree(db.quickModeCount == quickModes.count)
        agree(db.mainModes(matching: MainModeSAFilter()) == mainModes)
        agree(db.quickModes(matching: QuickModeSAFilter()) == quickModes)

        // The model's side of each look-up, computed once (so the check stays linear).
        let children = Dictionary(grouping: quickModes, by: \.mainModeID)
        let initiators = Set(mainModes.map(\.cookies.initiator))
        let byInboundSPI = Dictionary(quickModes.map { ($0.inboundSPI, $0) }, uniquingKeysWith: { first, _ in first })
        let byOutboundSPI = Dictionary(grouping: quickModes, by: \.outboundSPI)
        for id: UInt64 in 1...200 {
            agree(db.mainMode(id: id) == model.mainModes[id])
            agree(db.quickModes(mainModeID: id) == (children[id] ?? []))
        }
        for record in mainModes { agree(db.mainMode(cookies: record.cookies) == record) }
        for initiator: UInt64 in 0..<400 where !initiators.contains(initiator) {
            agree(db.mainMode(cookies: CookiePair(initiator: initiator, responder: 1)) == nil)
        }
        for address in Self.addresses {
            let expected = mainModes.filter { $0.remote.ip == address }
            agree(db.mainModes(remoteAddress: address) == expected)
            agree(db.mainModes(matching: MainModeSAFilter(remoteAddress: AddressRange(address))) == expected)
        }
        for case let identity? in Self.identities {
            func same(_ other: String?) -> Bool { other?.lowercased() == identity.lowercased() }
            agree(
                db.mainModes(remoteIdentity: identity)
                    == mainModes.filter { same($0.remoteIdentity) || same($0.remoteSecondIdentity) })
            let literal = Fixture.pattern(identity)
            for scope in [IdentityScope.first, .second, .either] {
                let filter = MainModeSAFilter(remoteIdentity: literal, identityScope: scope)
                agree(db.mainModes(matching: filter) == mainModes.filter(filter.matches))
            }
        }

        for id: UInt64 in 1...600 { agree(db.quickMode(id: id) == model.quickModes[id]) }
        for spi: UInt32 in 0..<500 {
            agree(db.quickMode(inboundSPI: spi) == byInboundSPI[spi])
        }
        for spi: UInt32 in 0..<40 {
            agree(db.quickModes(outboundSPI: spi) == (byOutboundSPI[spi] ?? []))
            agree(
                db.quickModes(matching: QuickModeSAFilter(spi: spi))
                    == quickModes.filter { $0.inboundSPI == spi || $0.outboundSPI == spi })
        }
        // Patterns the trigram index answers (a literal run of three), and ones it leaves to a scan.
        for pattern in ["*client1*", "CORP\\CLIENT?$", "*[öo]laf", "cn=*", "*RGER*", "*lie*", "*zzz*", "*t1$", "*?l*"] {
            for scope in [IdentityScope.first, .second, .either] {
                let filter = MainModeSAFilter(remoteIdentity: Fixture.pattern(pattern), identityScope: scope)
                agree(db.mainModes(matching: filter) == mainModes.filter(filter.matches))
            }
        }
        let parentFilter = MainModeSAFilter(remoteIdentity: Fixture.pattern("*client1*"))
        agree(
            db.quickModes(matching: QuickModeSAFilter(mainMode: parentFilter))
                == quickModes.filter { parentFilter.matches(model.mainModes[$0.mainModeID]!) })

        let deadlines = mainModes.map(\.expires) + quickModes.map(\.expires)
        agree(db.nextExpiry == deadlines.min())
        for horizon in [now, now + 1000, now + 10_000] {
            let expired = db.expired(at: horizon)
            agree(
                expired.mainModes
                    == mainModes.filter { $0.expires <= horizon }.sorted { ($0.expires, $0.id) < ($1.expires, $1.id) }
                    .map(\.id))
            agree(
                expired.quickModes
                    == quickModes.filter { $0.expires <= horizon }.sorted { ($0.expires, $0.id) < ($1.expires, $1.id) }
                    .map(\.id))
        }
    }
}
