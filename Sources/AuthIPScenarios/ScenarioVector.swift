import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPJSON
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPWire
import Foundation

/// A replayable DirectAccess scenario (TestVectors/scenarios, Docs/TestVectors.md): the lab's
/// setup, the steps, and what must come out — the certificates the seeded PKI makes, every
/// event with its EventData, the final SA tables, and for scenarios without Kerberos the
/// SHA-256 of every datagram sent.
public struct ScenarioVector {
    public var name: String
    public var description: String
    public var options: DirectAccessLab.Options
    public var steps: [Step]
    /// The recorded outcome (nil while authoring).
    public var expected: JSONValue?

    /// One step of a scenario, as the file names it.
    public enum Step: Sendable {
        case connect(client: Int, tunnel: Tunnel)
        case manageOut(from: IPAddress, client: Int)
        case block(String)
        case unblock(String)
        case run(milliseconds: Int)
        case shutdown
    }

    public init(
        name: String, description: String, options: DirectAccessLab.Options, steps: [Step], expected: JSONValue? = nil
    ) {
        self.name = name
        self.description = description
        self.options = options
        self.steps = steps
        self.expected = expected
    }

    /// Whether any step needs the KDC (and the trace is then not byte-stable: MIT krb5 draws
    /// its own randomness and reads the real clock).
    var usesKerberos: Bool {
        steps.contains { if case .connect(_, .intranet) = $0 { return true } else { return false } }
    }

    /// Runs the scenario from its seeds and returns what came out, in the vector's JSON form.
    public func replay() throws -> JSONValue {
        TLSContext.prepare()
        OpenSSLRandom.useSeeded(options.seed)
        defer { OpenSSLRandom.useSystem() }
        let pki = try ThrowawayPKI(now: DirectAccessLab.start)
        var lab = try DirectAccessLab(options, pki: pki, realm: usesKerberos ? try KerberosRealm.shared.get() : nil)
        lab.simulation.recordsTraffic = true
        for step in steps {
            switch step {
            case .connect(let client, let tunnel): lab.connect(client, through: tunnel)
            case .manageOut(let source, let client): lab.manageOut(from: source, to: client)
            case .block(let pattern):
                if let server = lab.server, let pattern = WildcardPattern(pattern) {
                    lab.simulation.inject(.block(pattern, until: nil), into: server)
                }
            case .unblock(let pattern):
                if let server = lab.server, let pattern = WildcardPattern(pattern) {
                    lab.simulation.inject(.unblock(pattern), into: server)
                }
            case .run(let milliseconds): lab.run(for: .milliseconds(milliseconds))
            case .shutdown:
                for index in lab.simulation.nodes.indices { lab.simulation.inject(.shutdown, into: index) }
            }
        }
        return outcome(lab, pki: pki)
    }

    private func outcome(_ lab: DirectAccessLab, pki: ThrowawayPKI) -> JSONValue {
        var events: [(Date, String, Int, AuditEvent)] = []
        for node in lab.simulation.nodes {
            for (order, entry) in node.events.enumerated() {
                events.append((entry.time, node.name, order, entry.event))
            }
        }
        events.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        let eventValues: [JSONValue] = events.map { time, computer, _, event in
            .object([
                ("computer", .string(computer)),
                ("t_us", .number(Int64((time.timeIntervalSince(DirectAccessLab.start) * 1e6).rounded()))),
                ("id", .number(event.descriptor.eventID)),
                ("data", .object(event.eventData.map { ($0.name, .string($0.value.storedText)) })),
            ])
        }
        let tables: [(String, JSONValue)] = lab.simulation.nodes.map { node in
            (
                node.name,
                .object([
                    (
                        "mmsa",
                        .array(
                            node.endpoint.database.mainModeTable().split(
                                separator: "\n", omittingEmptySubsequences: false
                            ).map { .string(String($0)) })
                    ),
                    (
                        "qmsa",
                        .array(
                            node.endpoint.database.quickModeTable().split(
                                separator: "\n", omittingEmptySubsequences: false
                            ).map { .string(String($0)) })
                    ),
                ])
            )
        }
        var result: [(String, JSONValue)] = [
            (
                "certificates",
                .object([
                    ("root", .string(pki.authority.certificate.pem)), ("server", .string(pki.server.certificate.pem)),
                ])
            ),
            ("events", .array(eventValues)),
            ("sa_tables", .object(tables)),
        ]
        if !usesKerberos {
            var digest = [UInt8]()
            for datagram in lab.simulation.trace { digest = HashAlgorithm.sha256.digest(digest, datagram.bytes) }
            result.append(("datagrams", .number(lab.simulation.trace.count)))
            result.append(("trace_sha256", .string(digest.map { String(format: "%02x", $0) }.joined())))
        }
        return .object(result)
    }

    /// The differences between the recorded outcome and a replay, empty when they agree.
    public func check() throws -> [String] {
        guard let expected else { return ["no recorded outcome"] }
        let actual = try replay()
        var differences: [String] = []
        for key in ["certificates", "trace_sha256", "datagrams", "sa_tables"] where expected[key] != actual[key] {
            differences.append("\(key) differs")
        }
        let expectedEvents = expected["events"]?.arrayValue ?? [], actualEvents = actual["events"]?.arrayValue ?? []
        if expectedEvents.count != actualEvents.count {
            differences.append("\(actualEvents.count) events, \(expectedEvents.count) expected")
        }
        for (index, pair) in zip(expectedEvents, actualEvents).enumerated() where pair.0 != pair.1 {
            differences.append("event \(index): expected \(pair.0.compactText), got \(pair.1.compactText)")
            break
        }
        return differences
    }
}
