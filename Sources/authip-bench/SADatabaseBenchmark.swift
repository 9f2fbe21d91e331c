import AuthIPSADatabase
import AuthIPWire
import Foundation

/// The SA database at a DirectAccess server's scale and beyond: 1,000,000 MM SAs with
/// 2,000,000 QM SAs loaded; memory per MM SA, SPI look-ups, a wildcard removal by identity over
/// all of them, and an expiry sweep.
enum SADatabaseBenchmark {
    static let mainModes = 1_000_000

    static func run() {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let before = residentBytes()
        var database = SADatabase()
        database.reserveCapacity(mainModes: mainModes, quickModes: 2 * mainModes)
        let server = EndpointAddress(.v6(IPv6Address("2002:836b:2::836b:2")!))
        let loadStart = ContinuousClock.now
        for index in 0..<mainModes {
            let id = UInt64(index) * 3 + 1
            let remote = EndpointAddress(
                .v6(IPv6Address(high: 0x2002_c612_0000_0000 | UInt64(index), low: UInt64(index))))
            // Lifetimes spread over 8 hours, so that a sweep finds a share of them due.
            let expires = start.addingTimeInterval(Double(index % 28_800))
            try? database.insert(
                MainModeSARecord(
                    id: id,
                    cookies: CookiePair(
                        initiator: UInt64(index) &* 0x9E37_79B9_7F4A_7C15, responder: UInt64(index) + 1),
                    role: .responder, local: server, remote: remote, localIdentity: "CN=DASERVER.corp.contoso.com",
                    remoteIdentity: "CN=CLIENT\(index).corp.contoso.com", authenticationMethod: .tls, cipher: .aes256,
                    hash: .sha256,
                    diffieHellmanGroup: nil, natDetected: false, quickModeLimit: 0, created: start, expires: expires,
                    ruleName: "DaServerToInfra"))
            for qm in 1...2 {
                let selector = TrafficSelector(AddressRange(remote.ip))
                try? database.insert(
                    QuickModeSARecord(
                        id: id + UInt64(qm), mainModeID: id, role: .responder,
                        inboundSPI: UInt32(index * 2 + qm + 0x100),
                        outboundSPI: UInt32(truncatingIfNeeded: index &* 7 + qm), localSelector: selector,
                        remoteSelector: selector,
                        encapsulation: .tunnel(local: server.ip, remote: remote.ip), udpEncapsulated: false,
                        cipher: .aesGCM256, integrity: .none,
                        pfsGroup: nil, lifetimeSeconds: 3_600, lifetimeKilobytes: 100_000, created: start,
                        expires: expires.addingTimeInterval(3_600)))
            }
        }
        let loaded = ContinuousClock.now - loadStart
        let used = residentBytes() - before
        AuthIPBenchmark.report("sadb.load_1m_mm_2m_qm_s", Double(Int(AuthIPBenchmark.seconds(loaded) * 100)) / 100, "s")
        AuthIPBenchmark.report("sadb.bytes_per_mm_sa", Double(used / mainModes), "bytes (with its 2 QM SAs)")

        var random = UInt64(0x5EED)
        let lookups = 1_000_000
        var found = 0
        let lookupStart = ContinuousClock.now
        for _ in 0..<lookups {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            let index = Int(random >> 33) % mainModes
            if database.quickMode(inboundSPI: UInt32(index * 2 + 1 + 0x100)) != nil { found += 1 }
        }
        let lookupTime = ContinuousClock.now - lookupStart
        precondition(found == lookups, "every SPI is there")
        AuthIPBenchmark.report(
            "sadb.lookup_spi_ns", Double(Int(AuthIPBenchmark.seconds(lookupTime) / Double(lookups) * 1e10)) / 10, "ns")

        let removeStart = ContinuousClock.now
        let removed = database.removeMainModes(
            matching: MainModeSAFilter(remoteIdentity: WildcardPattern("*client77777*")!))
        let removeTime = ContinuousClock.now - removeStart
        precondition(
            removed.count == 11 && removed.allSatisfy { $0.quickModes.count == 2 },
            "CLIENT77777 and CLIENT777770..9 with their QM SAs")
        AuthIPBenchmark.report(
            "sadb.remove_by_identity_ms", Double(Int(AuthIPBenchmark.seconds(removeTime) * 1e4)) / 10,
            "ms (wildcard over 1M)")

        let sweepStart = ContinuousClock.now
        let expired = database.removeExpired(at: start.addingTimeInterval(600))
        let sweepTime = ContinuousClock.now - sweepStart
        AuthIPBenchmark.report(
            "sadb.expire_sweep_ms", Double(Int(AuthIPBenchmark.seconds(sweepTime) * 1e4)) / 10,
            "ms (\(expired.mainModes.count) MM SAs with their QM SAs)")
    }

    /// The process's resident memory, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
