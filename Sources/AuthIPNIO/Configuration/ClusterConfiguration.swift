import AuthIPControl
import AuthIPWire
import Foundation

/// The `cluster` member: the gateway is one node of a cluster whose nodes share their block
/// list, their SA ownership, drains and admin commands through etcd (Docs/Cluster.md).
///
/// ```json
/// "cluster": {"endpoints": ["10.0.0.11:2379", "10.0.0.12:2379", "10.0.0.13:2379"],
///             "tls": {"certificate": "etcd-client.pem", "key": "etcd-client.key", "trustedRoots": ["etcd-ca.pem"]},
///             "keyPrefix": "/authip/", "nodeName": "DA1", "leaseTTL": 10,
///             "internalAddress": "10.0.0.21", "manageOutHook": "/usr/local/sbin/steer-manage-out"}
/// ```
///
/// `endpoints` are the etcd members' client addresses (numeric, one family, `[IPv6]:PORT` in
/// brackets). Without `tls` the connection is plaintext; with it, the members' certificates
/// must chain to `trustedRoots` and the node presents `certificate` and `key` (etcd's
/// `--client-cert-auth`). `keyPrefix` (default `/authip/`) is where the cluster's keys live;
/// `nodeName` (default the computer name) names this node; `leaseTTL` (seconds, 2 to 300,
/// default 10) is how long its SA entries outlive it. `internalAddress` is the address other
/// nodes steer manage-out traffic to; `manageOutHook` is run with (client address, owner node,
/// owner's internal address) when this node is asked to reach a client another node holds.
/// `healthFile` is created while the node is drained, for a balancer's file probe.
struct ClusterConfiguration: Decodable, Sendable, Hashable {
    var endpoints: [HostPort]
    var tls: TLS?
    var keyPrefix: String
    var nodeName: String?
    var leaseTTL: Int
    var internalAddress: IPAddress?
    var manageOutHook: String?
    var healthFile: String?

    struct TLS: Decodable, Sendable, Hashable {
        var certificate: String
        var key: String
        var trustedRoots: [String]

        private enum CodingKeys: String, CodingKey { case certificate, key, trustedRoots }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownMembers(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            certificate = try container.decode(String.self, forKey: .certificate)
            key = try container.decode(String.self, forKey: .key)
            trustedRoots = try container.decodeNonEmpty([String].self, forKey: .trustedRoots)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case endpoints, tls, keyPrefix, nodeName, leaseTTL, internalAddress, manageOutHook, healthFile
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        endpoints = try container.decodeEach(.endpoints, as: "HOST:PORT with a numeric host") { HostPort($0) }
        guard !endpoints.isEmpty, Set(endpoints.map(\.host.family)).count == 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .endpoints, in: container, debugDescription: "must list 1 or more addresses of one family")
        }
        tls = try container.decodeIfPresent(TLS.self, forKey: .tls)
        keyPrefix =
            try container.decodeIfPresent(.keyPrefix, as: "a key prefix that starts and ends with /") { text in
                text.hasPrefix("/") && text.hasSuffix("/") && (2...128).contains(text.utf8.count)
                    && text.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) } ? text : nil
            } ?? "/authip/"
        nodeName = try container.decodeIfPresent(.nodeName, as: "1 to 63 letters, digits, - or _") { text in
            ControlRequest.isNodeName(text) ? text : nil
        }
        leaseTTL = try container.decodeIfPresent(Int.self, forKey: .leaseTTL) ?? 10
        guard (2...300).contains(leaseTTL) else {
            throw DecodingError.dataCorruptedError(
                forKey: .leaseTTL, in: container, debugDescription: "must be 2 to 300 seconds")
        }
        internalAddress = try container.decodeIfPresent(.internalAddress, as: "an IP address", IPAddress.init)
        manageOutHook = try container.decodeIfPresent(.manageOutHook, as: "a path", DriverConfiguration.path)
        healthFile = try container.decodeIfPresent(.healthFile, as: "a path", DriverConfiguration.path)
    }

}

/// A gateway's cluster settings as the cluster layer takes them: paths resolved, the node
/// named.
public struct ClusterSettings: Sendable {
    /// The etcd members' client addresses.
    public var endpoints: [(host: IPAddress, port: UInt16)]
    /// PEM files: this node's certificate and key, the roots the members' certificates chain to.
    public var tls: (certificate: String, key: String, trustedRoots: [String])?
    public var keyPrefix: String
    public var nodeName: String
    public var leaseTTL: Int
    public var internalAddress: IPAddress?
    public var manageOutHook: String?
    public var healthFile: String?

    public init(
        endpoints: [(host: IPAddress, port: UInt16)], tls: (certificate: String, key: String, trustedRoots: [String])?,
        keyPrefix: String, nodeName: String, leaseTTL: Int, internalAddress: IPAddress? = nil,
        manageOutHook: String? = nil, healthFile: String? = nil
    ) {
        self.endpoints = endpoints
        self.tls = tls
        self.keyPrefix = keyPrefix
        self.nodeName = nodeName
        self.leaseTTL = leaseTTL
        self.internalAddress = internalAddress
        self.manageOutHook = manageOutHook
        self.healthFile = healthFile
    }

}

extension DriverConfiguration {
    /// The `cluster` member with its paths resolved; nil for a gateway on its own.
    public var clusterSettings: ClusterSettings? {
        guard let cluster else { return nil }
        return ClusterSettings(
            endpoints: cluster.endpoints.map { ($0.host, $0.port) },
            tls: cluster.tls.map { (resolve($0.certificate), resolve($0.key), $0.trustedRoots.map(resolve)) },
            keyPrefix: cluster.keyPrefix,
            nodeName: cluster.nodeName
                ?? String(computerName.unicodeScalars.filter { ControlRequest.isNodeName(String($0)) }.prefix(63)),
            leaseTTL: cluster.leaseTTL, internalAddress: cluster.internalAddress,
            manageOutHook: cluster.manageOutHook.map(resolve), healthFile: cluster.healthFile.map(resolve))
    }
}
