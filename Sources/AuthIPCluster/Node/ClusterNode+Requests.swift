import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import AuthIPWire
import Foundation

extension ClusterNode {
    /// A client as `cluster where` names it.
    enum Client: Sendable {
        case address(IPAddress)
        case identity([WildcardPattern])

        /// An address; a -like pattern when it has `*`, `?` or `[`; otherwise a computer name,
        /// matched as the identities Windows writes for it (`CORP\NAME$`, `NAME.domain`,
        /// `CN=NAME…`, `host/name.domain`), case-insensitively.
        init?(_ text: String) {
            if let address = IPAddress(text) {
                self = .address(address)
            } else if text.contains(where: { "*?[".contains($0) }) {
                guard let pattern = WildcardPattern(text) else { return nil }
                self = .identity([pattern])
            } else {
                guard ControlRequest.isNodeName(text) else { return nil }
                let forms = [
                    text, "*\\\(text)$", "\(text).*", "*=\(text)", "*=\(text).*", "*=\(text),*", "*/\(text).*",
                ]
                self = .identity(forms.compactMap { WildcardPattern($0) })
            }
        }

        func matches(_ record: OwnershipRecord) -> Bool {
            switch self {
            case .address(let address): return record.carries(address)
            case .identity(let patterns): return patterns.contains { record.matches($0) }
            }
        }
    }

    /// The SAs of every live node matching `client` (all with nil), each with its node's
    /// entry, read linearizably. An SA entry counts only under its key and on the lease of a
    /// node entry: one that no live node wrote is not believed (others are logged and left out).
    func owners(of client: Client?) async throws -> [(record: OwnershipRecord, node: NodeRecord)] {
        let (entries, _) = try await etcd.ranges([keys.ownership, keys.nodes])
        var nodes: [String: (NodeRecord, Int64)] = [:]
        for entry in entries[1] {
            guard let node = parseValue(entry.value).flatMap(NodeRecord.init(json:)), entry.key == keys.node(node.name),
                entry.lease != 0
            else {
                logger.warning("cluster: \(entry.key) is not a node entry; ignored")
                continue
            }
            nodes[node.name] = (node, entry.lease)
        }
        return entries[0].compactMap { entry -> (OwnershipRecord, NodeRecord)? in
            guard let record = parseValue(entry.value).flatMap(OwnershipRecord.init(json:)),
                entry.key == keys.ownership(of: record.node, id: record.id), let (node, lease) = nodes[record.node],
                lease == entry.lease
            else {
                logger.warning("cluster: \(entry.key) is not an SA entry of a live node; ignored")
                return nil
            }
            return client?.matches(record) ?? true ? (record, node) : nil
        }.sorted { ($0.0.node, $0.0.id) < ($1.0.node, $1.0.id) }
    }

    /// The live nodes' entries (each under its key, on a lease).
    func nodes() async throws -> [NodeRecord] {
        try await etcd.range(prefix: keys.nodes).entries.compactMap { entry in
            parseValue(entry.value).flatMap(NodeRecord.init(json:)).flatMap {
                entry.key == keys.node($0.name) && entry.lease != 0 ? $0 : nil
            }
        }.sorted { $0.name < $1.name }
    }

    public func perform(_ request: ControlRequest) async throws -> JSONValue {
        do {
            return try await answer(request)
        } catch let error as Refusal {
            throw error
        } catch {
            throw Refusal(description: Self.unreachable("nothing was done", error))
        }
    }

    private func answer(_ request: ControlRequest) async throws -> JSONValue {
        switch request {
        case .clusterListSAs(let identity):
            let owners = try await owners(of: identity.map { .identity([$0]) })
            return .object([
                ("mainModeSAs", .array(owners.map(\.record.json))),
                ("nodes", .array(try await nodes().map(\.json))),
            ])
        case .clusterRemoveSAs(let identity):
            return try await removeEverywhere(identity)
        case .clusterDrain(let node), .clusterUndrain(let node):
            let on: Bool
            if case .clusterDrain = request { on = true } else { on = false }
            return try await drain(node, on)
        case .clusterWhere(let text):
            guard let client = Client(text) else {
                throw Refusal(description: "\(text) is not an address, a -like pattern or a computer name")
            }
            let owners = try await owners(of: client)
            return .object([
                ("client", .string(text)),
                (
                    "owners",
                    .array(
                        owners.map { owner in
                            .object([
                                ("node", .string(owner.record.node)),
                                (
                                    "internalAddress",
                                    owner.node.internalAddress.map { .string($0.description) } ?? .null
                                ),
                                ("mainModeSA", owner.record.json),
                            ])
                        })
                ),
            ])
        case .clusterStatus:
            let local = state.withLockedValue { state in
                (
                    state.connected, state.lastError, state.lease, state.drained, state.registered.count,
                    state.blocks.count
                )
            }
            var members: [(String, JSONValue)] = [
                ("node", .string(name)), ("connected", .bool(local.0)),
                ("lastError", local.1.map { .string($0) } ?? .null), ("lease", .number(local.2)),
                ("draining", .bool(local.3)), ("registeredSAs", .number(local.4)), ("blocks", .number(local.5)),
            ]
            do {
                members.append(("nodes", .array(try await nodes().map(\.json))))
            } catch {
                members.append(("nodes", .null))
            }
            return .object(members)
        default:
            throw Refusal(description: "not a cluster request")
        }
    }

    /// `cluster sa remove`: a command for every live node under a lease of its own, then
    /// their results as they come, for up to 5 s; the lease is revoked after, taking what is
    /// left of the command with it.
    private func removeEverywhere(_ identity: WildcardPattern) async throws -> JSONValue {
        let nodes = try await nodes().map(\.name)
        let lease = try await etcd.grantLease(ttl: 30)
        let id = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let command = CommandRecord(id: id, identity: identity, issuedBy: name)
        for node in nodes {
            try await etcd.put(keys.command(id, for: node), Array(command.json.compactText.utf8), lease: lease)
        }
        var results: [String: JSONValue] = [:]
        let deadline = ContinuousClock.now + .seconds(5)
        while results.count < nodes.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            for entry in try await etcd.range(prefix: keys.results(of: id)).entries {
                guard let node = ClusterKeys.name(of: entry.key, under: keys.results(of: id)), nodes.contains(node),
                    let value = parseValue(entry.value)
                else { continue }
                results[node] = value
            }
        }
        try? await etcd.revokeLease(lease)
        let rows: [JSONValue] = nodes.map { node in
            guard let result = results[node] else { return .object([("node", .string(node)), ("answered", false)]) }
            return .object([
                ("node", .string(node)), ("answered", true),
                ("mainModeSAs", .number(result["mainModeSAs"]?.integerValue ?? 0)),
                ("quickModeSAs", .number(result["quickModeSAs"]?.integerValue ?? 0)),
                ("error", result["error"]?.stringValue.map { .string($0) } ?? .null),
            ])
        }
        return .object([
            ("identity", .string(identity.pattern)), ("nodes", .array(rows)),
            ("mainModeSAs", .number(rows.reduce(0) { $0 + ($1["mainModeSAs"]?.integerValue ?? 0) })),
            ("quickModeSAs", .number(rows.reduce(0) { $0 + ($1["quickModeSAs"]?.integerValue ?? 0) })),
        ])
    }

    /// `cluster drain|undrain NODE`: the drain key written or deleted (it outlives the node's
    /// restarts), then up to 5 s for the node's own entry to say it applied it.
    private func drain(_ node: String, _ on: Bool) async throws -> JSONValue {
        if on {
            let value = JSONValue.object([("since", .string(ControlTime.text(clock()))), ("by", .string(name))])
            try await etcd.put(keys.drain(node), Array(value.compactText.utf8))
        } else {
            try await etcd.delete(keys.drain(node))
        }
        var online = false
        var confirmed = false
        let deadline = ContinuousClock.now + .seconds(5)
        repeat {
            let record = try await nodes().first { $0.name == node }
            online = record != nil
            confirmed = record?.draining == on
            if confirmed || !online { break }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        return .object([
            ("node", .string(node)), ("draining", .bool(on)), ("online", .bool(online)),
            ("confirmed", .bool(confirmed)),
        ])
    }
}
