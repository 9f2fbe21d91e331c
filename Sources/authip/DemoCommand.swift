import ArgumentParser
import AuthIPWire

/// `authip demo`: for now, a decoded sample message and the library's self-check.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Decode a bundled Main Mode #1 and run the crypto and wire self-check.")

    /// MM #1 of an infrastructure-tunnel negotiation (TestVectors/wire/flows.json, "main-mode #1").
    static let sampleMainModeFirstMessage = "5eed00000000000100000000000000008510f30000000000000000e001000008000000008700005000000001000000010000004401010002030000240101000080010007800e01008002000480040000800b0001000c000400007080000000180201000080010007800e008080020002800400000a000008000400000d00002461ef0bf56dca6099d942f47fa35a04fa50703d2a2d6c6cbaed26a4e55f3761320d0000181e2b516905991c7d7c96fcbfb587e461000000090d0000144048b7d56ebce88525e7de7f00d6c2d300000014fb1de3cdf341b7ea16b7e5be0855f120"

    func run() throws {
        print("== A DirectAccess client's first AuthIP message (Main Mode #1) ==")
        let message = try Message(parsing: Hex.decode(Self.sampleMainModeFirstMessage) ?? [])
        print(message.textDump)
        print("")
        print("== Self-check ==")
        let results = SelfCheck.run()
        for result in results {
            print("\(result.passed ? "ok  " : "FAIL") \(result.name)")
        }
        let failed = results.filter { !$0.passed }.count
        print("\(results.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
