import Foundation

/// Wireshark's command-line analyser, to capture on loopback and to judge what was captured.
enum Tshark {
    /// The installed `tshark`, or nil (scripts/install-deps.sh installs it).
    static let executable: URL? = ["/usr/bin/tshark", "/usr/local/bin/tshark"].map(URL.init(fileURLWithPath:))
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// One captured frame as the ISAKMP dissector sees it.
    struct Frame {
        var number: Int
        /// `eth:ethertype:ip:udp:isakmp`
        var protocols: String
        /// Every ISAKMP header's exchange type (a reassembled fragment adds the inner message's).
        var exchangeTypes: [Int]
        /// The expert infos: warnings such as "Malformed Packet" and notes.
        var expertMessages: [String]
        var malformed: Bool
    }

    /// The frames of a capture file, UDP on `ports` decoded as ISAKMP.
    static func frames(of capture: URL, ports: [UInt16], executable: URL, in directory: URL) throws -> [Frame] {
        let arguments =
            ["-r", capture.path] + ports.flatMap { ["-d", "udp.port==\($0),isakmp"] }
            + [
                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|",
                "-e", "frame.number", "-e", "frame.protocols", "-e", "isakmp.exchangetype", "-e", "_ws.expert.message",
                "-e", "_ws.malformed",
            ]
        let reader = try ChildProcess("tshark-read", executable: executable, arguments: arguments, in: directory)
        guard reader.waitForExit(seconds: 15) == 0 else {
            throw Failure(step: "reading \(capture.path)", output: reader.standardError)
        }
        return reader.standardOutput.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func field(_ index: Int) -> String { fields.indices.contains(index) ? fields[index] : "" }
            func list(_ index: Int) -> [String] { field(index).split(separator: "|").map(String.init) }
            return Frame(
                number: Int(field(0)) ?? 0, protocols: field(1), exchangeTypes: list(2).compactMap { Int($0) },
                expertMessages: list(3), malformed: !field(4).isEmpty)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var step: String
        var output: String
        var description: String { "tshark failed \(step): \(output)" }
    }
}
