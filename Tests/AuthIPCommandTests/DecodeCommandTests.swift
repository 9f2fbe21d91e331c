import AuthIPJSON
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

/// Runs the built `authip` executable, which sits beside the test bundle.
struct AuthIPRun {
    var status: Int32
    var stdout: String
    var stderr: String

    static let executable: URL = URL(
        fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
    )
    .deletingLastPathComponent().appendingPathComponent("authip")

    init(_ arguments: [String], stdin: String? = nil) throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }
}

@Suite("authip decode")
struct DecodeCommandTests {
    static func flowVector(_ name: String) throws -> JSONValue {
        try #require(try TestVectors.vectors("wire/flows.json").first { $0.name == name })
    }

    @Test("JSON output from an argument has the header fields and payloads in wire order")
    func decodesArgument() throws {
        let v = try Self.flowVector("main-mode #1")
        let run = try AuthIPRun(["decode", try v.string("hex")])
        #expect(run.status == 0)
        let json = try JSONValue(parsing: run.stdout)
        #expect(json == v["decoded"])
        #expect(json["initiatorCookie"] == "5eed000000000001")
        #expect(json["responderCookie"] == "0000000000000000")
        #expect(json["exchangeType"] == 243)
        let payloads = json["payloads"]?.arrayValue ?? []
        #expect(payloads.map { $0["type"]?.integerValue ?? -1 } == [133, 1, 135, 10, 13, 13, 13])
        #expect(payloads[2]["methods"] == .array([4]))
        #expect(payloads[3]["length"] == 32)
        #expect(payloads[4]["vendor"] == "MS NT5 ISAKMPOAKLEY v9")
    }

    @Test("Hex from standard input and from a file give the same JSON")
    func decodesStdinAndFile() throws {
        let v = try Self.flowVector("extended-mode #9")
        let hex = try v.string("hex")
        let fromStdin = try AuthIPRun(["decode"], stdin: hex + "\n")
        let dash = try AuthIPRun(["decode", "-"], stdin: hex)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("authip-decode-\(getpid()).hex")
        try hex.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let fromFile = try AuthIPRun(["decode", "--file", path.path])
        #expect(fromStdin.status == 0 && dash.status == 0 && fromFile.status == 0)
        #expect(try JSONValue(parsing: fromStdin.stdout) == v["decoded"])
        #expect(fromStdin.stdout == fromFile.stdout && dash.stdout == fromFile.stdout)
    }

    @Test("--text prints a readable dump")
    func textDump() throws {
        let run = try AuthIPRun(["decode", "--text", try Self.flowVector("main-mode #2").string("hex")])
        #expect(run.status == 0)
        #expect(run.stdout.contains("AuthIP MM (243) message"))
        #expect(run.stdout.contains("GSS_ID (134)"))
        #expect(run.stdout.contains("principalName: DASERVER$@CORP.CONTOSO.COM"))
    }

    @Test("Malformed messages: one stderr line naming the error and offset, status 1")
    func malformed() throws {
        for v in try TestVectors.vectors("wire/malformed.json").prefix(12) {
            let run = try AuthIPRun(["decode", try v.string("hex")])
            #expect(run.status == 1, "\(v.name)")
            #expect(run.stdout.isEmpty)
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(v.name)")
            let kind = try v.string("error"), offset = try v.int("offset")
            #expect(run.stderr.contains(kind) && run.stderr.contains("offset \(offset)"), "\(v.name)")
        }
        let notHex = try AuthIPRun(["decode", "12z4"])
        #expect(notHex.status == 1 && notHex.stderr.split(separator: "\n").count == 1)
        let missingFile = try AuthIPRun(["decode", "--file", "/nonexistent/authip.hex"])
        #expect(missingFile.status == 1)
    }

    @Test("Usage errors exit with status 2")
    func usageErrors() throws {
        #expect(try AuthIPRun(["decode", "--no-such-flag"]).status == 2)
        #expect(try AuthIPRun(["decode", "00", "--file", "x"]).status == 2)
        #expect(try AuthIPRun(["no-such-command"]).status == 2)
        #expect(try AuthIPRun(["decode", "--help"]).status == 0)
    }

    @Test("The demo brings up both tunnels, manages out, blocks the stolen laptop and refuses it")
    func demo() throws {
        let run = try AuthIPRun(["demo"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            run.stdout.contains(
                "tunnels established: 2 of 2; manage out: yes; stolen laptop's SAs left: 0; reconnection refused: yes"))
        #expect(
            run.stdout.contains("UserNTLM") && run.stdout.contains("UserKerb") && run.stdout.contains("ComputerCert"))
        #expect(run.stdout.contains("IPsec main mode and extended mode security associations were established."))
        #expect(run.stdout.contains("SA establishment is not authorized."))
        #expect(run.stdout.contains("2002:836b:2::836b:2"))
    }
}
