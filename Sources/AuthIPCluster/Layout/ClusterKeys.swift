/// Where the cluster's state lives in etcd, under the configured prefix (Docs/Cluster.md,
/// "Key layout"):
///
/// | key | value | lease |
/// |---|---|---|
/// | `blocks/<pattern>` | a block (`BlockListStore.Entry`'s JSON) | none: it outlives every node |
/// | `nodes/<node>` | the node's presence (`NodeRecord`) | the node's |
/// | `drain/<node>` | the node is drained | none: it outlives the node's restarts |
/// | `sa/<node>/<id>` | a Main Mode SA the node holds (`OwnershipRecord`) | the node's |
/// | `commands/<node>/<id>` | an SA removal the node is to carry out (`CommandRecord`) | the command's |
/// | `results/<id>/<node>` | what the node removed for command `id` | the command's |
///
/// A pattern is percent-encoded in its key (everything but letters, digits and `-._~*?`).
struct ClusterKeys: Sendable, Hashable {
    /// The configured prefix, ending in `/`.
    let prefix: String

    var blocks: String { prefix + "blocks/" }
    var nodes: String { prefix + "nodes/" }
    var drains: String { prefix + "drain/" }
    var ownership: String { prefix + "sa/" }

    func block(_ pattern: String) -> String { blocks + Self.encode(pattern) }
    func node(_ name: String) -> String { nodes + name }
    func drain(_ name: String) -> String { drains + name }
    func ownership(of node: String) -> String { ownership + node + "/" }
    func ownership(of node: String, id: UInt64) -> String { ownership(of: node) + String(id) }
    func commands(for node: String) -> String { prefix + "commands/" + node + "/" }
    func command(_ id: String, for node: String) -> String { commands(for: node) + id }
    func results(of command: String) -> String { prefix + "results/" + command + "/" }
    func result(of command: String, from node: String) -> String { results(of: command) + node }

    /// The last path component of `key` under `base`; nil when `key` is not under it or the
    /// rest has a further `/`.
    static func name(of key: String, under base: String) -> String? {
        guard key.hasPrefix(base) else { return nil }
        let rest = key.dropFirst(base.count)
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        return String(rest)
    }

    static func encode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80,
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~*?".contains(Character(scalar))
            {
                encoded.unicodeScalars.append(scalar)
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
