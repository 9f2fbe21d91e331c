import AuthIPControl
import AuthIPFuzzSupport

/// The control protocol's parser under arbitrary lines: it never traps, and a request it
/// accepts is written as a line that parses back to a request written the same way.
func checkControlInput(_ bytes: [UInt8]) {
    let line = String(decoding: bytes, as: UTF8.self)
    guard let request = try? ControlRequest(line: line) else { return }
    guard let again = try? ControlRequest(line: request.line), again.line == request.line else {
        fatalError("round trip broke for \(request.line)")
    }
}

#if FUZZING
@_cdecl("authip_fuzz_control_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, checkControlInput)
}
#else
/// Without libFuzzer: runs the files given (a corpus, crash reproducers) through the same
/// check, so that regressions replay in an ordinary build.
@main
struct ControlFuzzReplay {
    static func main() throws {
        print("replayed \(try replayFuzzInputs(Array(CommandLine.arguments.dropFirst()), checkControlInput)) inputs")
    }
}
#endif
