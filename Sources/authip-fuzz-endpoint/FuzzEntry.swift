import AuthIPFuzzSupport
import Foundation

nonisolated(unsafe) let fuzzer = EndpointFuzzer()

#if FUZZING
@_cdecl("authip_fuzz_endpoint_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { fuzzer.run($0) }
}
#else
/// Without libFuzzer: `--seeds DIR` writes the corpus seeds (one per recorded message); any
/// other arguments are inputs (files or directories) to replay through the same checks.
@main
struct EndpointFuzzReplay {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--seeds", arguments.count == 2 {
            try FileManager.default.createDirectory(atPath: arguments[1], withIntermediateDirectories: true)
            for index in fuzzer.points.indices {
                try Data(fuzzer.seed(index)).write(
                    to: URL(fileURLWithPath: arguments[1]).appendingPathComponent(String(format: "point-%02d", index)))
            }
            print("wrote \(fuzzer.points.count) seeds")
            return
        }
        print("replayed \(try replayFuzzInputs(arguments) { fuzzer.run($0) }) inputs")
    }
}
#endif
