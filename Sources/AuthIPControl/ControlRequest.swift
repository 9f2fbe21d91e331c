import AuthIPJSON
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// One request of the control protocol (Docs/Operations.md, "The control protocol"): a JSON
/// object on one line, `{"version": 1, "command": "sa-list", ...}`, answered by one line,
/// `{"version": 1, "ok": true, "result": ...}` or `{"version": 1, "ok": false, "error": "..."}`.
///
/// Everything on the socket is checked before anything runs: the version, the command, each
/// member's type and value, and no member the command does not take.
public enum ControlRequest: Sendable, Hashable {
    /// The MM SAs (and with `quick`, the QM SAs) whose identity and remote address match.
    case listSAs(identity: WildcardPattern?, remote: IPAddress?, quick: Bool)
    /// Removes the MM SAs whose identity matches (nil: every SA), with their QM SAs, peers told.
    case removeSAs(identity: WildcardPattern?)
    /// Blocks an identity pattern until a time (nil: until removed); its SAs go at once.
    case block(pattern: WildcardPattern, until: Date?, reason: String?)
    case unblock(pattern: WildcardPattern)
    case listBlocks
    /// Sessions, SAs, negotiations, DoS-cookie mode.
    case status
    /// The CRLs in the daemon's live caches.
    case listCRLs
    /// Adds the CRL file at this absolute path (PEM or DER) to every cache, and stores it.
    case importCRL(path: String)
    /// Drops the CRLs past their nextUpdate at this time (nil: now).
    case purgeCRLs(at: Date?)
    /// Reads the configuration file again and adopts it, or refuses it and keeps the running one.
    case reload
    /// Every node's Main Mode SAs, as the cluster's ownership entries show them.
    case clusterListSAs(identity: WildcardPattern?)
    /// Removes the matching SAs on every node that holds some; what was removed where.
    case clusterRemoveSAs(identity: WildcardPattern)
    /// Stops new Main Modes on a node and removes its SAs, so its clients reconnect elsewhere.
    case clusterDrain(node: String)
    case clusterUndrain(node: String)
    /// The nodes holding a client: an identity pattern or an address.
    case clusterWhere(client: String)
    /// This node, the cluster's nodes, and whether etcd answers.
    case clusterStatus

    /// The protocol version this side speaks.
    public static let version: Int64 = 1
    /// The longest request line taken, newline excluded.
    public static let maximumLineLength = 16_384
    /// The longest pattern or reason taken.
    static let maximumTextLength = 1_024

    /// Why a request line was refused.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Parses one request line (without its newline).
    public init(line: String) throws(Refusal) {
        guard line.utf8.count <= Self.maximumLineLength else {
            throw Refusal("the request is longer than \(Self.maximumLineLength) bytes")
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line)
        } catch {
            throw Refusal("not JSON: \(error)")
        }
        guard case .object(let members) = value else { throw Refusal("the request is not a JSON object") }
        var fields: [String: JSONValue] = [:]
        for (key, member) in members {
            guard fields.updateValue(member, forKey: key) == nil else { throw Refusal("\"\(key)\" is given twice") }
        }
        guard let version = fields["version"] else { throw Refusal("\"version\" is missing") }
        guard version.integerValue == Self.version else {
            throw Refusal("version \(version.compactText) is not spoken here (this daemon speaks \(Self.version))")
        }
        guard let command = fields["command"]?.stringValue else {
            throw Refusal("\"command\" is missing or not a string")
        }
        let reader = Members(fields: fields, command: command)
        switch command {
        case "sa-list":
            try reader.only(["identity", "remote", "quick"])
            self = .listSAs(
                identity: try reader.pattern("identity"), remote: try reader.address("remote"),
                quick: try reader.bool("quick") ?? false)
        case "sa-remove":
            try reader.only(["identity", "all"])
            let identity = try reader.pattern("identity")
            let all = try reader.bool("all") ?? false
            guard (identity == nil) == all else {
                throw Refusal("sa-remove takes either \"identity\" or \"all\": true")
            }
            self = .removeSAs(identity: identity)
        case "block-add":
            try reader.only(["pattern", "until", "reason"])
            guard let pattern = try reader.pattern("pattern") else { throw Refusal("block-add needs \"pattern\"") }
            self = .block(pattern: pattern, until: try reader.date("until"), reason: try reader.text("reason"))
        case "block-remove":
            try reader.only(["pattern"])
            guard let pattern = try reader.pattern("pattern") else { throw Refusal("block-remove needs \"pattern\"") }
            self = .unblock(pattern: pattern)
        case "block-list":
            try reader.only([])
            self = .listBlocks
        case "status":
            try reader.only([])
            self = .status
        case "crl-list":
            try reader.only([])
            self = .listCRLs
        case "crl-import":
            try reader.only(["path"])
            guard let path = try reader.text("path"), path.hasPrefix("/") else {
                throw Refusal("crl-import needs \"path\", an absolute path")
            }
            self = .importCRL(path: path)
        case "crl-purge":
            try reader.only(["at"])
            self = .purgeCRLs(at: try reader.date("at"))
        case "reload":
            try reader.only([])
            self = .reload
        case "cluster-sa-list":
            try reader.only(["identity"])
            self = .clusterListSAs(identity: try reader.pattern("identity"))
        case "cluster-sa-remove":
            try reader.only(["identity"])
            guard let identity = try reader.pattern("identity") else {
                throw Refusal("cluster-sa-remove needs \"identity\"")
            }
            self = .clusterRemoveSAs(identity: identity)
        case "cluster-drain", "cluster-undrain":
            try reader.only(["node"])
            guard let node = try reader.text("node"), Self.isNodeName(node) else {
                throw Refusal("\(command) needs \"node\": 1 to 63 letters, digits, - or _")
            }
            self = command == "cluster-drain" ? .clusterDrain(node: node) : .clusterUndrain(node: node)
        case "cluster-where":
            try reader.only(["client"])
            guard let client = try reader.text("client") else { throw Refusal("cluster-where needs \"client\"") }
            self = .clusterWhere(client: client)
        case "cluster-status":
            try reader.only([])
            self = .clusterStatus
        default:
            throw Refusal("unknown command \"\(command.prefix(64))\"")
        }
    }

    /// Whether `text` can name a cluster node: 1 to 63 ASCII letters, digits, `-` or `_`.
    public static func isNodeName(_ text: String) -> Bool {
        (1...63).contains(text.utf8.count)
            && text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                    || $0 == "_"
            }
    }

    /// Whether the request is about the cluster rather than this node alone.
    public var concernsCluster: Bool {
        switch self {
        case .clusterListSAs, .clusterRemoveSAs, .clusterDrain, .clusterUndrain, .clusterWhere, .clusterStatus:
            return true
        default:
            return false
        }
    }

    /// The request as its line (without the newline).
    public var line: String {
        var members: [(String, JSONValue)] = [("version", .integer(Self.version))]
        switch self {
        case .listSAs(let identity, let remote, let quick):
            members.append(("command", "sa-list"))
            if let identity { members.append(("identity", .string(identity.pattern))) }
            if let remote { members.append(("remote", .string(remote.description))) }
            if quick { members.append(("quick", true)) }
        case .removeSAs(let identity):
            members.append(("command", "sa-remove"))
            members.append(identity.map { ("identity", .string($0.pattern)) } ?? ("all", true))
        case .block(let pattern, let until, let reason):
            members += [("command", "block-add"), ("pattern", .string(pattern.pattern))]
            if let until { members.append(("until", .string(ControlTime.text(until)))) }
            if let reason { members.append(("reason", .string(reason))) }
        case .unblock(let pattern):
            members += [("command", "block-remove"), ("pattern", .string(pattern.pattern))]
        case .listBlocks:
            members.append(("command", "block-list"))
        case .status:
            members.append(("command", "status"))
        case .listCRLs:
            members.append(("command", "crl-list"))
        case .importCRL(let path):
            members += [("command", "crl-import"), ("path", .string(path))]
        case .purgeCRLs(let date):
            members.append(("command", "crl-purge"))
            if let date { members.append(("at", .string(ControlTime.text(date)))) }
        case .reload:
            members.append(("command", "reload"))
        case .clusterListSAs(let identity):
            members.append(("command", "cluster-sa-list"))
            if let identity { members.append(("identity", .string(identity.pattern))) }
        case .clusterRemoveSAs(let identity):
            members += [("command", "cluster-sa-remove"), ("identity", .string(identity.pattern))]
        case .clusterDrain(let node):
            members += [("command", "cluster-drain"), ("node", .string(node))]
        case .clusterUndrain(let node):
            members += [("command", "cluster-undrain"), ("node", .string(node))]
        case .clusterWhere(let client):
            members += [("command", "cluster-where"), ("client", .string(client))]
        case .clusterStatus:
            members.append(("command", "cluster-status"))
        }
        return JSONValue.object(members).compactText
    }

    /// A request's members, read with their types checked.
    private struct Members {
        var fields: [String: JSONValue]
        var command: String

        func only(_ allowed: Set<String>) throws(Refusal) {
            for key in fields.keys.sorted() where !allowed.contains(key) && key != "version" && key != "command" {
                throw Refusal("\(command) takes no \"\(key.prefix(64))\"")
            }
        }

        func text(_ key: String) throws(Refusal) -> String? {
            guard let value = fields[key] else { return nil }
            guard let text = value.stringValue else { throw Refusal("\"\(key)\" is not a string") }
            guard !text.isEmpty, text.utf8.count <= ControlRequest.maximumTextLength,
                !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw Refusal(
                    "\"\(key)\" must be 1 to \(ControlRequest.maximumTextLength) bytes without control characters")
            }
            return text
        }

        func pattern(_ key: String) throws(Refusal) -> WildcardPattern? {
            guard let text = try text(key) else { return nil }
            guard let pattern = WildcardPattern(text) else { throw Refusal("\"\(key)\" is not a -like pattern") }
            return pattern
        }

        func address(_ key: String) throws(Refusal) -> IPAddress? {
            guard let text = try text(key) else { return nil }
            guard let address = IPAddress(text) else { throw Refusal("\"\(key)\" is not an IP address") }
            return address
        }

        func bool(_ key: String) throws(Refusal) -> Bool? {
            guard let value = fields[key] else { return nil }
            guard let flag = value.boolValue else { throw Refusal("\"\(key)\" is not true or false") }
            return flag
        }

        func date(_ key: String) throws(Refusal) -> Date? {
            guard let text = try text(key) else { return nil }
            guard let date = ControlTime.date(text) else {
                throw Refusal("\"\(key)\" is not an RFC 3339 time such as 2027-01-31T18:00:00Z")
            }
            return date
        }
    }
}

/// RFC 3339 times as the control protocol writes and reads them.
public enum ControlTime {
    /// `2027-01-31T18:00:00Z`, in UTC.
    public static func text(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// An RFC 3339 time with a zone (`Z` or `+01:00`), with or without fractional seconds.
    public static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
