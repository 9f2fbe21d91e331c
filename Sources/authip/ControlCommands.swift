import ArgumentParser
import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// The options every command that talks to a running daemon takes.
struct ControlOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The daemon's control socket.", valueName: "PATH"))
    var control: String = ControlServer.defaultPath

    @Flag(help: "Print the daemon's answer as JSON (its `result`).")
    var json = false

    /// Sends `request`; prints the result as `text` makes it, or as JSON.
    func send(_ request: ControlRequest, text: (JSONValue) -> String) throws {
        try Self.send(request, to: control, json: json, text: text)
    }

    /// Sends `request` to the daemon at `control`; prints the result as `text` makes it, or as
    /// JSON. A refusal or an unreachable daemon exits with status 1.
    static func send(_ request: ControlRequest, to control: String, json: Bool, text: (JSONValue) -> String) throws {
        let line: String
        do {
            line = try ControlClient.send(request, to: control)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        guard let response = try? JSONValue(parsing: line), response["version"]?.integerValue == ControlRequest.version
        else {
            printError("error: the daemon at \(control) answered in an unknown form")
            throw ExitCode(1)
        }
        guard response["ok"]?.boolValue == true, let result = response["result"] else {
            printError("error: \(response["error"]?.stringValue ?? "refused")")
            throw ExitCode(1)
        }
        print(json ? result.prettyText : text(result), terminator: "")
    }
}

/// A `-like` pattern from the command line.
extension WildcardPattern: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

/// `authip sa list|remove`: the running daemon's SAs.
struct SACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sa", abstract: "List or remove a running daemon's security associations.",
        subcommands: [List.self, Remove.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the Main Mode SAs (netsh's show mmsa), and with --quick their Quick Mode SAs (show qmsa).",
            discussion: "Exit status: 0 answered, 1 refused or no daemon, 2 usage errors.")

        @Option(help: ArgumentHelp("Only SAs whose peer identity (either mode's) is -like this.", valueName: "PATTERN"))
        var identity: WildcardPattern?

        @Option(help: ArgumentHelp("Only SAs with this remote address.", valueName: "ADDRESS"))
        var remote: String?

        @Flag(help: "Also show the Quick Mode SAs of the Main Mode SAs shown.")
        var quick = false

        @OptionGroup var options: ControlOptions

        func run() throws {
            var address: IPAddress?
            if let remote {
                guard let parsed = IPAddress(remote) else { throw ValidationError("--remote is not an IP address.") }
                address = parsed
            }
            try options.send(.listSAs(identity: identity, remote: address, quick: quick)) {
                $0["table"]?.stringValue ?? ""
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove Main Mode SAs and their Quick Mode SAs, telling the peers.",
            discussion: "Exit status: 0 done, 1 refused or no daemon, 2 usage errors.")

        @Option(help: ArgumentHelp("The SAs whose peer identity is -like this.", valueName: "PATTERN"))
        var identity: WildcardPattern?

        @Flag(help: "Every SA.")
        var all = false

        @OptionGroup var options: ControlOptions

        func validate() throws {
            guard (identity == nil) == all else { throw ValidationError("Give either --identity or --all.") }
        }

        func run() throws {
            try options.send(.removeSAs(identity: identity)) { result in
                "Removed \(result["mainModeSAs"]?.integerValue ?? 0) Main Mode SAs and "
                    + "\(result["quickModeSAs"]?.integerValue ?? 0) Quick Mode SAs.\n"
            }
        }
    }
}

/// `authip block add|remove|list`: identities the daemon refuses.
struct BlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block", abstract: "Block identities on a running daemon, until a time or until removed.",
        subcommands: [Add.self, Remove.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Block a -like identity pattern: its SAs are removed at once and its negotiations refused.",
            discussion: "Exit status: 0 blocked (and stored), 1 refused or no daemon, 2 usage errors.")

        @Argument(help: "The identity pattern, PowerShell -like (for example '*CLIENT1*').")
        var pattern: WildcardPattern

        @Option(
            help: ArgumentHelp("When the block ends (RFC 3339, for example 2027-01-31T18:00:00Z).", valueName: "TIME"))
        var until: String?

        @Option(help: "Why, for the list and the log.")
        var reason: String?

        @OptionGroup var options: ControlOptions

        func run() throws {
            var end: Date?
            if let until {
                guard let date = ControlTime.date(until) else {
                    throw ValidationError("--until is not an RFC 3339 time such as 2027-01-31T18:00:00Z.")
                }
                end = date
            }
            try options.send(.block(pattern: pattern, until: end, reason: reason)) { result in
                "Blocked \(pattern.pattern) until \(end.map(ControlTime.text) ?? "removed"); "
                    + "\(result["mainModeSAsRemoved"]?.integerValue ?? 0) Main Mode SAs removed.\n"
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a block.", discussion: "Exit status: 0 lifted, 1 not blocked or no daemon, 2 usage errors.")

        @Argument(help: "The pattern exactly as blocked.")
        var pattern: WildcardPattern

        @OptionGroup var options: ControlOptions

        func run() throws {
            try options.send(.unblock(pattern: pattern)) { _ in "Unblocked \(pattern.pattern).\n" }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The blocks in force.", discussion: "Exit status: 0 answered, 1 no daemon, 2 usage errors.")

        @OptionGroup var options: ControlOptions

        func run() throws {
            try options.send(.listBlocks) { result in
                let blocks = result["blocks"]?.arrayValue ?? []
                guard !blocks.isEmpty else { return "No blocks.\n" }
                let rows = blocks.map { block in
                    [
                        block["pattern"]?.stringValue ?? "", block["until"]?.stringValue ?? "until removed",
                        block["added"]?.stringValue ?? "", block["reason"]?.stringValue ?? "",
                    ]
                }
                return Table.text(header: ["Pattern", "Until", "Added", "Reason"], rows: rows)
            }
        }
    }
}

/// `authip status`: what a running daemon holds and does.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a running daemon's SAs, negotiations and DoS-cookie mode.",
        discussion: "Exit status: 0 answered, 1 no daemon, 2 usage errors.")

    @OptionGroup var options: ControlOptions

    func run() throws {
        try options.send(.status) { result in
            guard case .object(let members) = result else { return "" }
            let width = members.map(\.0.count).max() ?? 0
            return members.map { key, value in
                key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value.compactText
            }.joined(separator: "\n") + "\n"
        }
    }
}

/// `authip reload`: the daemon reads its configuration file again (as on SIGHUP).
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Make a running daemon read its configuration file again.",
        discussion: """
            Negotiations and SAs under rules that remain (by name) stay up under their new definition; those \
            under a removed rule go, their peers told. A file that cannot be loaded, or that changes addresses, \
            ports, the control socket, the state directory or the audit sinks, is refused and the running \
            configuration kept. Exit status: 0 reloaded, 1 refused or no daemon, 2 usage errors.
            """)

    @OptionGroup var options: ControlOptions

    func run() throws {
        try options.send(.reload) { result in
            "Reloaded: \(result["rules"]?.integerValue ?? 0) rules; \(result["mainModeSAs"]?.integerValue ?? 0) Main Mode SAs "
                + "and \(result["quickModeSAs"]?.integerValue ?? 0) Quick Mode SAs up.\n"
        }
    }
}

/// Columns aligned by their widest cell.
enum Table {
    static func text(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line))
            .joined(separator: "\n") + "\n"
    }
}
