import ArgumentParser
import AuthIPJSON
import AuthIPNIO
import AuthIPScenarios
import Foundation

/// `authip vectors run DIR` replays the scenario vectors; `authip vectors write DIR` records
/// the built-in scenarios.
struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors", abstract: "Replay or record the scenario test vectors.",
        subcommands: [Run.self, Write.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Replay every scenario of DIR (or DIR/scenarios), and every recording of authip --record, and compare.")

        @Argument(help: "A directory of scenario .json files, or the TestVectors directory.")
        var directory: String

        func run() throws {
            var url = URL(fileURLWithPath: directory)
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("scenarios").path) {
                url.appendPathComponent("scenarios")
            }
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter {
                $0.hasSuffix(".json")
            }.sorted()
            guard !files.isEmpty else { throw ValidationError("no scenario files in \(url.path)") }
            var passed = 0, failed = 0
            for file in files {
                let differences: [String]
                do {
                    let text = try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
                    let json = try JSONValue(parsing: text)
                    // A recording of a real negotiation (`--record`), or a simulated scenario.
                    differences =
                        json["recording"] != nil
                        ? try NegotiationReplay.check(json) : try ScenarioVector(json: json).check()
                } catch {
                    differences = ["\(error)"]
                }
                if differences.isEmpty {
                    passed += 1
                    print("ok    \(file)")
                } else {
                    failed += 1
                    print("FAIL  \(file): " + differences.joined(separator: "; "))
                }
            }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }

    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the built-in scenarios and write them with their outcome to DIR.")

        @Argument(help: "The directory to write to.")
        var directory: String

        func run() throws {
            let url = URL(fileURLWithPath: directory)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for var vector in BuiltInScenarios.all {
                vector.expected = try vector.replay()
                try (vector.json.prettyText + "\n").write(
                    to: url.appendingPathComponent(vector.name + ".json"), atomically: true, encoding: .utf8)
                print("wrote \(vector.name).json")
            }
        }
    }
}
