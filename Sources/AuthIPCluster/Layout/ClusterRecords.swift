import AuthIPControl
import AuthIPJSON
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// The largest value the node reads from etcd; anything longer is not one of ours.
let maximumValueLength = 65_536

/// Parses a value read from etcd: JSON of at most `maximumValueLength` bytes, or nil. What
/// etcd holds is not trusted more than the network: any writer with access could have put it.
func parseValue(_ bytes: [UInt8]) -> JSONValue? {
    guard bytes.count <= maximumValueLength else { return nil }
    return try? JSONValue(parsing: String(decoding: bytes, as: UTF8.self))
}

/// A node's presence under its lease: gone within the lease's TTL of the node's death.
struct NodeRecord: Sendable, Hashable {
    var name: String
    var internalAddress: IPAddress?
    var started: Date
    var draining: Bool
    var mainModeSAs: Int

    var json: JSONValue {
        .object([
            ("node", .string(name)), ("internalAddress", internalAddress.map { .string($0.description) } ?? .null),
            ("started", .string(ControlTime.text(started))), ("draining", .bool(draining)),
            ("mainModeSAs", .number(mainModeSAs)),
        ])
    }

    init(name: String, internalAddress: IPAddress?, started: Date, draining: Bool, mainModeSAs: Int) {
        self.name = name
        self.internalAddress = internalAddress
        self.started = started
        self.draining = draining
        self.mainModeSAs = mainModeSAs
    }

    init?(json value: JSONValue) {
        guard let name = value["node"]?.stringValue, ControlRequest.isNodeName(name),
            let startedText = value["started"]?.stringValue, let started = ControlTime.date(startedText),
            let draining = value["draining"]?.boolValue, let count = value["mainModeSAs"]?.integerValue, count >= 0
        else { return nil }
        var address: IPAddress?
        if let text = value["internalAddress"]?.stringValue {
            guard let parsed = IPAddress(text) else { return nil }
            address = parsed
        }
        self.init(name: name, internalAddress: address, started: started, draining: draining, mainModeSAs: Int(count))
    }
}

/// One Main Mode SA a node holds, as the other nodes and the admin see it: who, from where,
/// and the tunnels its Quick Modes carry.
struct OwnershipRecord: Sendable, Hashable {
    var node: String
    var id: UInt64
    var identity: String?
    var secondIdentity: String?
    var remoteAddress: IPAddress
    var localAddress: IPAddress
    /// The Quick Mode SAs' selectors: the addresses the tunnels carry on each side.
    var tunnels: [Tunnel]
    var created: Date

    struct Tunnel: Sendable, Hashable {
        var local: AddressRange
        var remote: AddressRange
    }

    init(node: String, mainMode: MainModeSARecord, quickModes: [QuickModeSARecord]) {
        self.node = node
        id = mainMode.id
        identity = mainMode.remoteIdentity
        secondIdentity = mainMode.remoteSecondIdentity
        remoteAddress = mainMode.remote.ip
        localAddress = mainMode.local.ip
        tunnels = quickModes.map { Tunnel(local: $0.localSelector.addresses, remote: $0.remoteSelector.addresses) }
        created = mainMode.created
    }

    /// Whether the SA is the client's: its identity (either mode's) is -like `pattern`.
    func matches(_ pattern: WildcardPattern) -> Bool {
        [identity, secondIdentity].contains { $0.map(pattern.matches) ?? false }
    }

    /// Whether traffic to `address` is this SA's client: the peer itself, or inside a tunnel's
    /// remote selector.
    func carries(_ address: IPAddress) -> Bool {
        remoteAddress == address || tunnels.contains { $0.remote.contains(address) }
    }

    var json: JSONValue {
        .object([
            ("node", .string(node)), ("id", .number(id)), ("identity", identity.map { .string($0) } ?? .null),
            ("secondIdentity", secondIdentity.map { .string($0) } ?? .null),
            ("remoteAddress", .string(remoteAddress.description)), ("localAddress", .string(localAddress.description)),
            (
                "tunnels",
                .array(
                    tunnels.map {
                        .object([("local", .string($0.local.description)), ("remote", .string($0.remote.description))])
                    })
            ),
            ("created", .string(ControlTime.text(created))),
        ])
    }

    init?(json value: JSONValue) {
        guard let node = value["node"]?.stringValue, ControlRequest.isNodeName(node),
            let id = value["id"]?.integerValue, id > 0,
            let remote = value["remoteAddress"]?.stringValue.flatMap(IPAddress.init),
            let local = value["localAddress"]?.stringValue.flatMap(IPAddress.init),
            let createdText = value["created"]?.stringValue, let created = ControlTime.date(createdText),
            let tunnelValues = value["tunnels"]?.arrayValue, tunnelValues.count <= 1_024
        else { return nil }
        var tunnels: [Tunnel] = []
        for tunnel in tunnelValues {
            guard let local = tunnel["local"]?.stringValue.flatMap({ AddressRange($0) }),
                let remote = tunnel["remote"]?.stringValue.flatMap({ AddressRange($0) })
            else { return nil }
            tunnels.append(Tunnel(local: local, remote: remote))
        }
        self.node = node
        self.id = UInt64(id)
        identity = Self.text(value["identity"])
        secondIdentity = Self.text(value["secondIdentity"])
        remoteAddress = remote
        localAddress = local
        self.tunnels = tunnels
        self.created = created
    }

    private static func text(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue, text.utf8.count <= 1_024 else { return nil }
        return text
    }
}

/// An SA removal for one node, written by the node the admin asked (`cluster sa remove`)
/// under a lease of its own, which its results hang on too.
struct CommandRecord: Sendable, Hashable {
    var id: String
    var identity: WildcardPattern
    var issuedBy: String

    var json: JSONValue {
        .object([
            ("id", .string(id)), ("command", "sa-remove"), ("identity", .string(identity.pattern)),
            ("issuedBy", .string(issuedBy)),
        ])
    }

    init(id: String, identity: WildcardPattern, issuedBy: String) {
        self.id = id
        self.identity = identity
        self.issuedBy = issuedBy
    }

    init?(json value: JSONValue) {
        guard let id = value["id"]?.stringValue, ControlRequest.isNodeName(id),
            value["command"]?.stringValue == "sa-remove",
            let identity = value["identity"]?.stringValue.flatMap({ WildcardPattern($0) }),
            let issuedBy = value["issuedBy"]?.stringValue, ControlRequest.isNodeName(issuedBy)
        else { return nil }
        self.init(id: id, identity: identity, issuedBy: issuedBy)
    }
}
