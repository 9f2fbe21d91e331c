import ArgumentParser
import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import Foundation

/// `authip cluster …`: the cluster a gateway is a node of, through that node's control socket
/// (Docs/Cluster.md).
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "The cluster of gateways this node belongs to: SAs, drains, owners.",
        subcommands: [SA.self, Drain.self, Undrain.self, Where.self, Status.self])

    struct SA: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sa", abstract: "Every node's Main Mode SAs.", subcommands: [List.self, Remove.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show every node's Main Mode SAs with the node that holds each.",
                discussion: "Exit status: 0 answered, 1 refused, no daemon or etcd unreachable, 2 usage errors.")

            @Option(
                help: ArgumentHelp("Only SAs whose peer identity (either mode's) is -like this.", valueName: "PATTERN"))
            var identity: WildcardPattern?

            @OptionGroup var options: ControlOptions

            func run() throws {
                try options.send(.clusterListSAs(identity: identity)) { result in
                    let rows = (result["mainModeSAs"]?.arrayValue ?? []).map { sa in
                        [
                            sa["node"]?.stringValue ?? "", String(sa["id"]?.integerValue ?? 0),
                            sa["identity"]?.stringValue ?? "", sa["secondIdentity"]?.stringValue ?? "",
                            sa["remoteAddress"]?.stringValue ?? "", sa["created"]?.stringValue ?? "",
                        ]
                    }
                    guard !rows.isEmpty else { return "No SAs in the cluster.\n" }
                    return Table.text(
                        header: ["Node", "ID", "Identity", "Second identity", "Remote address", "Created"], rows: rows)
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove the SAs whose identity matches on every node that holds some, peers told.",
                discussion: """
                    Each live node gets a command key it watches; the answer lists what each removed, or that it \
                    did not answer within 5 s. Exit status: 0 every node answered, 1 refused, a node did not \
                    answer, no daemon or etcd unreachable, 2 usage errors.
                    """)

            @Option(help: ArgumentHelp("The SAs whose peer identity is -like this.", valueName: "PATTERN"))
            var identity: WildcardPattern

            @OptionGroup var options: ControlOptions

            func run() throws {
                var silent: [String] = []
                try options.send(.clusterRemoveSAs(identity: identity)) { result in
                    let nodes = result["nodes"]?.arrayValue ?? []
                    silent = nodes.filter { $0["answered"]?.boolValue != true }.compactMap { $0["node"]?.stringValue }
                    let rows = nodes.map { node in
                        [
                            node["node"]?.stringValue ?? "",
                            node["answered"]?.boolValue == true ? String(node["mainModeSAs"]?.integerValue ?? 0) : "-",
                            node["answered"]?.boolValue == true ? String(node["quickModeSAs"]?.integerValue ?? 0) : "-",
                            node["answered"]?.boolValue == true ? (node["error"]?.stringValue ?? "") : "no answer",
                        ]
                    }
                    return Table.text(header: ["Node", "Main Mode SAs", "Quick Mode SAs", "Note"], rows: rows)
                        + "Removed \(result["mainModeSAs"]?.integerValue ?? 0) Main Mode SAs and "
                        + "\(result["quickModeSAs"]?.integerValue ?? 0) Quick Mode SAs.\n"
                }
                if !silent.isEmpty {
                    printError("error: no answer from \(silent.joined(separator: ", "))")
                    throw ExitCode(1)
                }
            }
        }
    }

    struct Drain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a node out of service: new Main Modes refused, its SAs removed, its health probes failing.",
            discussion: """
                The drain is stored in the cluster and outlives the node's restarts until `authip cluster undrain`. \
                Exit status: 0 the node applied it (or is down and will on start), 1 refused or etcd unreachable, \
                2 usage errors.
                """)

        @OptionGroup var node: NodeArgument

        @OptionGroup var options: ControlOptions

        func run() throws {
            try options.send(.clusterDrain(node: node.name)) { Self.describe($0, "drained", "drained") }
        }

        static func describe(_ result: JSONValue, _ done: String, _ state: String) -> String {
            let node = result["node"]?.stringValue ?? ""
            if result["confirmed"]?.boolValue == true { return "Node \(node) \(done).\n" }
            if result["online"]?.boolValue == false {
                return "Node \(node) is not running; it is \(state) once it starts and reaches etcd.\n"
            }
            return "Node \(node) has not confirmed within 5 s; it applies the change when it reaches etcd.\n"
        }
    }

    /// The node a drain or undrain names.
    struct NodeArgument: ParsableArguments {
        @Argument(help: ArgumentHelp("The node's name (its cluster nodeName).", valueName: "node"))
        var name: String

        func validate() throws {
            guard ControlRequest.isNodeName(name) else { throw ValidationError("Not a node name: \(name).") }
        }
    }

    struct Undrain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a drained node back into service.",
            discussion: "Exit status: 0 done, 1 refused or etcd unreachable, 2 usage errors.")

        @OptionGroup var node: NodeArgument

        @OptionGroup var options: ControlOptions

        func run() throws {
            try options.send(.clusterUndrain(node: node.name)) { Drain.describe($0, "back in service", "in service") }
        }
    }

    struct Where: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The nodes holding a client, and their internal addresses (manage out behind a balancer).",
            discussion: """
                CLIENT is an address (matched against each SA's peer and its tunnels' remote selectors), a -like \
                identity pattern, or a computer name (CLIENT1 matches CORP\\CLIENT1$, CLIENT1.corp.contoso.com, \
                CN=CLIENT1…). Exit status: 0 held somewhere, 1 held nowhere, refused or etcd unreachable, 2 usage \
                errors.
                """)

        @Argument(help: "An address, an identity pattern or a computer name.")
        var client: String

        @OptionGroup var options: ControlOptions

        func run() throws {
            var found = true
            try options.send(.clusterWhere(client: client)) { result in
                let owners = result["owners"]?.arrayValue ?? []
                found = !owners.isEmpty
                guard found else { return "\(client) is held by no node.\n" }
                return Table.text(
                    header: ["Node", "Internal address", "SA", "Identity", "Remote address"],
                    rows: owners.map { owner in
                        [
                            owner["node"]?.stringValue ?? "", owner["internalAddress"]?.stringValue ?? "",
                            String(owner["mainModeSA"]?["id"]?.integerValue ?? 0),
                            owner["mainModeSA"]?["identity"]?.stringValue ?? "",
                            owner["mainModeSA"]?["remoteAddress"]?.stringValue ?? "",
                        ]
                    })
            }
            if !found { throw ExitCode(1) }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "This node's link to etcd, and the cluster's live nodes.",
            discussion: "Exit status: 0 answered, 1 refused or no daemon, 2 usage errors.")

        @OptionGroup var options: ControlOptions

        func run() throws {
            try options.send(.clusterStatus) { result in
                let connected = result["connected"]?.boolValue == true
                var text =
                    "Node \(result["node"]?.stringValue ?? ""): "
                    + (connected
                        ? "connected to etcd" : "etcd unreachable (\(result["lastError"]?.stringValue ?? "not yet"))")
                    + (result["draining"]?.boolValue == true ? ", drained" : "") + "; "
                    + "\(result["blocks"]?.integerValue ?? 0) blocks, \(result["registeredSAs"]?.integerValue ?? 0) SAs registered.\n"
                if let nodes = result["nodes"]?.arrayValue {
                    text += Table.text(
                        header: ["Node", "Internal address", "Main Mode SAs", "Draining", "Started"],
                        rows: nodes.map { node in
                            [
                                node["node"]?.stringValue ?? "", node["internalAddress"]?.stringValue ?? "",
                                String(node["mainModeSAs"]?.integerValue ?? 0),
                                node["draining"]?.boolValue == true ? "yes" : "no", node["started"]?.stringValue ?? "",
                            ]
                        })
                }
                return text
            }
        }
    }
}
