import AuthIPJSON
import Foundation
import Testing

@Suite("authip simulate")
struct SimulateCommandTests {
    /// The summary line on stderr as JSON.
    func summary(_ run: AuthIPRun) throws -> JSONValue {
        let line = try #require(run.stderr.split(separator: "\n").last)
        return try JSONValue(parsing: String(line))
    }

    @Test(
        "Each fault ends as Windows would log it, and nothing is left after shutdown",
        arguments: [
            ("none", "infrastructure", nil), ("revoked-cert", "infrastructure", 2_148_081_680),
            ("no-proposal", "infrastructure", 13802),
            ("blocked", "infrastructure", 13905), ("wrong-password", "infrastructure", 2_148_074_252),
            ("no-smartcard", "intranet", 13906),
            ("silent-responder", "infrastructure", 13805),
        ] as [(String, String, Int?)])
    func faults(fault: String, tunnel: String, code: Int?) throws {
        let run = try AuthIPRun([
            "simulate", "--clients", "3", "--fault", fault, "--tunnel", tunnel, "--events", "none",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try summary(run)
        #expect(result["clients"]?.integerValue == 3)
        #expect(result["sa_left"]?.integerValue == 0)
        if let code {
            #expect(result["failed"]?.integerValue == 3)
            #expect(result["failures_by_reason"]?[String(code)]?.integerValue == 3, "\(run.stderr)")
        } else {
            #expect(result["established"]?.integerValue == 3)
        }
    }

    @Test("XML events: one Windows event per line, each endpoint as its Computer")
    func xmlEvents() throws {
        let run = try AuthIPRun([
            "simulate", "--clients", "2", "--loss", "0.05", "--duplicate", "0.05", "--reorder", "0.05", "--seed", "7",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("<Event xmlns=") && $0.hasSuffix("</Event>") })
        #expect(
            lines.contains { $0.contains("<Computer>DASERVER</Computer>") }
                && lines.contains { $0.contains("<Computer>CLIENT2</Computer>") })
        #expect(lines.contains { $0.contains("<EventID>4981</EventID>") })
    }

    /// The seeds of `lossyInternet`: two under a sanitizer (`scripts/sanitize.sh` sets
    /// AUTHIP_SANITIZER), where each run costs tenfold and what is looked for is memory and
    /// thread errors, not another seed's loss pattern.
    static let lossSeeds = ProcessInfo.processInfo.environment["AUTHIP_SANITIZER"] == nil ? Array(1...20) : [1, 2]

    /// Issue 18's bar: before fragments added up across retransmissions and the initiator
    /// negotiated again for unanswered traffic, about one run in six lost a client.
    @Test(
        "10% loss, 5% duplication, 10% reordering: 50 clients of each tunnel establish in each of 20 seeds, nothing left",
        arguments: ["infrastructure", "intranet"], lossSeeds)
    func lossyInternet(tunnel: String, seed: Int) throws {
        let run = try AuthIPRun([
            "simulate", "--tunnel", tunnel, "--clients", "50", "--loss", "0.1", "--duplicate", "0.05", "--reorder",
            "0.1", "--seed", String(seed), "--events", "none",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try summary(run)
        #expect(result["established"]?.integerValue == 50, "\(run.stderr)")
        #expect(result["sa_left"]?.integerValue == 0)
        #expect(result["setup_ms_p99"]?.integerValue != nil)
    }

    @Test("Invalid options exit 2")
    func usage() throws {
        #expect(try AuthIPRun(["simulate", "--fault", "meteor"]).status == 2)
        #expect(try AuthIPRun(["simulate", "--loss", "1.5"]).status == 2)
        #expect(try AuthIPRun(["simulate", "--clients", "0"]).status == 2)
    }
}
