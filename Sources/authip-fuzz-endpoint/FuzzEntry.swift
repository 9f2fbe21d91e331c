import Foundation

nonisolated(unsafe) let fuzzer = EndpointFuzzer()

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable's entry point under this name; it hands control to libFuzzer.
@_cdecl("authip_fuzz_endpoint_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in
        fuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
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
                try Data(fuzzer.seed(index)).write(to: URL(fileURLWithPath: arguments[1]).appendingPathComponent(String(format: "point-%02d", index)))
            }
            print("wrote \(fuzzer.points.count) seeds")
            return
        }
        var count = 0
        for path in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("no such file: \(path)\n".utf8))
                exit(1)
            }
            let files = isDirectory.boolValue ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                fuzzer.run(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
}
#endif
