import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPWire
import Foundation
import Testing

@Suite("Secrets: wiped when their SA ends, never in events or tables", .serialized)
struct SecretsTests {
    /// Counts released secrets from whatever thread releases them.
    final class WipeLog: @unchecked Sendable {
        private let lock = NSLock()
        private var counts = (released: 0, notWiped: 0)

        func record(wiped: Bool) {
            lock.lock()
            counts.released += 1
            if !wiped { counts.notWiped += 1 }
            lock.unlock()
        }

        var released: Int { lock.lock(); defer { lock.unlock() }; return counts.released }
        var notWiped: Int { lock.lock(); defer { lock.unlock() }; return counts.notWiped }
    }

    @Test("Removing the SAs releases the sessions' keys, and every released key buffer is zero")
    func wipedOnRelease() throws {
        let log = WipeLog()
        var fixture = EngineFixture(
            clientAuth: [EngineFixture.ntlmClient()], serverAuth: [try EngineFixture.ntlmServer()], ipv4: true)
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(!fixture.serverNode.endpoint.sessionProtections.isEmpty)
        SecretBytes.wipeObserver = { buffer in log.record(wiped: !buffer.contains { $0 != 0 }) }
        defer { SecretBytes.wipeObserver = nil }
        fixture.simulation.inject(.removeMainModeSAs(MainModeSAFilter()), into: fixture.server)
        fixture.run(seconds: 10)
        // The simulation's data plane held the SA keys: drop them too.
        fixture.simulation = Simulation(seed: 0)
        #expect(log.released >= 8, "the MM keys of both sessions and the QM keys: \(log.released)")
        #expect(log.notWiped == 0)
    }

    @Test("No key of any SA appears in an event (XML, JSON, text) or in the SA tables")
    func keysNeverLogged() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.connect()
        fixture.run()
        let keys = fixture.clientNode.installedSAs.values.flatMap { Array($0.values) }.flatMap {
            [$0.encryptionKey, $0.integrityKey]
        }
        .filter { !$0.isEmpty }.map { Hex.encode($0.bytes) }
        #expect(keys.count >= 2)
        var texts: [String] = []
        for node in [fixture.clientNode, fixture.serverNode] {
            var recorder = AuditRecorder(origin: try AuditOrigin(computer: node.name, processID: 1, threadID: 1))
            for (time, event) in node.events {
                let record = try recorder.record(
                    event, at: AuditTime(nanosecondsSinceUnixEpoch: Int64(time.timeIntervalSince1970 * 1e9)))
                texts += [record.windowsXML, record.json.compactText, event.message]
            }
            texts += [node.endpoint.database.mainModeTable(), node.endpoint.database.quickModeTable()]
            texts += node.installedSAs.values.flatMap { $0.values.map { String(describing: $0) } }
        }
        for key in keys {
            for text in texts {
                #expect(!text.lowercased().contains(key.lowercased()))
            }
        }
    }
}
