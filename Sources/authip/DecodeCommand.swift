import ArgumentParser
import AuthIPJSON
import AuthIPWire
import Foundation

/// `authip decode`: one AuthIP message as hex in, JSON (or a text dump) out.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode one AuthIP message given as hex.",
        discussion: """
            The hex comes from the argument, from --file, or from standard input (no argument, or -). \
            Whitespace and a 0x prefix are ignored. Malformed input prints one line naming the error and \
            its byte offset on standard error and exits with status 1.
            """)

    @Argument(help: "The message as hex, or - for standard input.")
    var hex: String?

    @Option(name: .shortAndLong, help: "Read the hex from this file.")
    var file: String?

    @Flag(help: "Print a readable dump instead of JSON.")
    var text = false

    func validate() throws {
        if hex != nil && hex != "-" && file != nil {
            throw ValidationError("Give the hex as an argument or with --file, not both.")
        }
    }

    func run() throws {
        let input: String
        if let file {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                printError("error: cannot read \(file)")
                throw ExitCode(1)
            }
            input = contents
        } else if let hex, hex != "-" {
            input = hex
        } else {
            input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        guard let bytes = Hex.decode(input) else {
            printError("error: input is not hex (an even number of hex digits)")
            throw ExitCode(1)
        }
        do {
            let message = try Message(parsing: bytes)
            print(text ? message.textDump : message.json.prettyText)
        } catch {
            printError("error: malformed message: \(error) (\(error.kindName), offset \(error.offset))")
            throw ExitCode(1)
        }
    }
}
