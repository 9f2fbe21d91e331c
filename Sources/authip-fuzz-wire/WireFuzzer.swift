import AuthIPFuzzSupport
import AuthIPJSON
import AuthIPWire

/// The parser's properties under arbitrary input: it never traps, and whatever it accepts
/// serializes to bytes that parse back to the same message. The first byte also picks a
/// payload type for parsing the rest as a bare chain (the plaintext of a Crypto payload).
func checkWireInput(_ bytes: [UInt8]) {
    if let message = try? Message(parsing: bytes) {
        let again = message.serialized()
        guard let reparsed = try? Message(parsing: again), reparsed == message else {
            fatalError("round trip broke for \(Hex.encode(bytes))")
        }
        _ = message.json.compactText
        _ = message.textDump
    }
    if let first = bytes.first,
        let chain = try? PayloadChain.parse(Array(bytes.dropFirst()), first: PayloadType(rawValue: first))
    {
        let (type, serialized) = PayloadChain.serialize(chain)
        guard (try? PayloadChain.parse(serialized, first: type)) == chain else {
            fatalError("chain round trip broke for \(Hex.encode(bytes))")
        }
    }
}

#if FUZZING
@_cdecl("authip_fuzz_wire_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, checkWireInput)
}
#else
/// Without libFuzzer: runs the files given (a corpus, crash reproducers) through the same
/// checks, so that regressions replay in an ordinary build.
@main
struct WireFuzzReplay {
    static func main() throws {
        print("replayed \(try replayFuzzInputs(Array(CommandLine.arguments.dropFirst()), checkWireInput)) inputs")
    }
}
#endif
