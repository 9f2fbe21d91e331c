import Foundation

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The property libFuzzer checks; set once before the driver starts.
nonisolated(unsafe) private var property: (([UInt8]) -> Void)?

/// Hands control to libFuzzer, which calls `check` with each input it makes. Call it from the
/// executable's entry point (SwiftPM links it as `<product>_main`).
public func runLibFuzzer(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ check: @escaping ([UInt8]) -> Void
) -> Int32 {
    property = check
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in
        property?(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
#endif

/// Runs every file named in `paths` (or in a directory named there, sorted) through `check`,
/// so that a corpus and crash reproducers replay in an ordinary build. Returns how many ran;
/// throws when a path does not exist.
public func replayFuzzInputs(_ paths: [String], _ check: ([UInt8]) -> Void) throws -> Int {
    var count = 0
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        let files =
            isDirectory.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 } : [path]
        for file in files {
            check(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            count += 1
        }
    }
    return count
}
