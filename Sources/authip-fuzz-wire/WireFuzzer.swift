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
    if let first = bytes.first, let chain = try? PayloadChain.parse(Array(bytes.dropFirst()), first: PayloadType(rawValue: first)) {
        let (type, serialized) = PayloadChain.serialize(chain)
        guard (try? PayloadChain.parse(serialized, first: type)) == chain else {
            fatalError("chain round trip broke for \(Hex.encode(bytes))")
        }
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable's entry point under this name; it hands control to libFuzzer.
@_cdecl("authip_fuzz_wire_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in
        checkWireInput(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
#else
import Foundation

/// Without libFuzzer: runs the files given (a corpus, crash reproducers) through the same
/// checks, so that regressions replay in an ordinary build.
@main
struct WireFuzzReplay {
    static func main() throws {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            let url = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil) : [url]
            for file in files {
                checkWireInput(Array(try Data(contentsOf: file)))
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
}
#endif
