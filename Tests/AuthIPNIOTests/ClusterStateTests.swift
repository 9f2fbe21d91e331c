#if canImport(AuthIPCluster)
@testable import AuthIPCluster
import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import AuthIPWire
import Foundation
import Testing

/// The cluster layer's parts that need no etcd: its configuration, its requests, its keys and
/// the records it reads back, hostile ones included.
@Suite("The cluster's configuration, requests, keys and records")
struct ClusterStateTests {
    static func configuration(_ cluster: String) throws(DriverConfigurationError) -> DriverConfiguration {
        try DriverConfigurationTests.parse(
            DriverConfigurationTests.initiator(
                replacing: "\"dataPlane\": \"none\"", with: "\"dataPlane\": \"none\", \"cluster\": \(cluster)"))
    }

    @Test("A cluster member is read with its defaults, its paths resolved")
    func configuration() throws {
        let configuration = try Self.configuration(
            #"{"endpoints": ["127.0.0.1:2379", "127.0.0.2:2379"], "tls": {"certificate": "c.pem", "key": "c.key", "trustedRoots": ["ca.pem"]}}"#
        )
        let settings = try #require(configuration.clusterSettings)
        #expect(settings.endpoints.map(\.port) == [2379, 2379])
        #expect(settings.keyPrefix == "/authip/" && settings.nodeName == "CLIENT1" && settings.leaseTTL == 10)
        #expect(settings.tls?.certificate == configuration.baseDirectory.appendingPathComponent("c.pem").path)
    }

    @Test(
        "Cluster mistakes are reported with the member concerned",
        arguments: [
            (#"{"endpoints": []}"#, "cluster.endpoints"),
            (#"{"endpoints": ["127.0.0.1:2379", "[::1]:2379"]}"#, "cluster.endpoints"),
            (#"{"endpoints": ["etcd1:2379"]}"#, "cluster.endpoints[0]"),
            (#"{"endpoints": ["127.0.0.1:2379"], "leaseTTL": 1}"#, "cluster.leaseTTL"),
            (#"{"endpoints": ["127.0.0.1:2379"], "nodeName": "a/b"}"#, "cluster.nodeName"),
            (#"{"endpoints": ["127.0.0.1:2379"], "keyPrefix": "authip"}"#, "cluster.keyPrefix"),
            (
                #"{"endpoints": ["127.0.0.1:2379"], "tls": {"certificate": "c.pem", "key": "c.key", "trustedRoots": []}}"#,
                "cluster.tls.trustedRoots"
            ),
            (#"{"endpoints": ["127.0.0.1:2379"], "lease": 5}"#, "cluster.lease"),
        ])
    func mistakes(cluster: String, field: String) {
        #expect {
            try Self.configuration(cluster)
        } throws: { error in
            guard case DriverConfigurationError.invalidField(let reported, _) = error else { return false }
            return reported == field
        }
    }

    @Test("Cluster requests round-trip through their lines and refuse what they do not take")
    func requests() throws {
        for request in [
            ControlRequest.clusterListSAs(identity: WildcardPattern("*CLIENT1*")), .clusterListSAs(identity: nil),
            .clusterRemoveSAs(identity: WildcardPattern("*CLIENT1*")!), .clusterDrain(node: "DA-1"),
            .clusterUndrain(node: "B"), .clusterWhere(client: "CLIENT1"), .clusterStatus,
        ] {
            #expect(try ControlRequest(line: request.line) == request)
            #expect(request.concernsCluster)
        }
        for (line, reason) in [
            (#"{"version": 1, "command": "cluster-drain", "node": "../x"}"#, "needs \"node\""),
            (#"{"version": 1, "command": "cluster-sa-remove"}"#, "needs \"identity\""),
            (#"{"version": 1, "command": "cluster-where", "client": "x", "all": true}"#, "takes no \"all\""),
        ] {
            #expect {
                try ControlRequest(line: line)
            } throws: { error in
                (error as? ControlRequest.Refusal)?.description.contains(reason) == true
            }
        }
    }

    @Test("Keys: patterns percent-encoded, names read back only from their own level")
    func keys() {
        let keys = ClusterKeys(prefix: "/authip/")
        #expect(keys.block("*CORP\\CLIENT1$*") == "/authip/blocks/*CORP%5CCLIENT1%24*")
        #expect(keys.block("a/b") == "/authip/blocks/a%2Fb")
        #expect(ClusterKeys.name(of: "/authip/results/abc/B", under: keys.results(of: "abc")) == "B")
        #expect(ClusterKeys.name(of: "/authip/results/abc/B/x", under: keys.results(of: "abc")) == nil)
        #expect(EtcdClient.rangeEnd(ofPrefix: "/authip/") == Data("/authip0".utf8))
        #expect(EtcdClient.rangeEnd(ofPrefix: "a\u{7F}") == Data([0x61, 0x80]))
    }

    @Test("Records read back what they wrote; hostile values are refused, not trusted")
    func records() throws {
        let node = NodeRecord(
            name: "A", internalAddress: IPAddress("10.0.0.21"), started: Date(timeIntervalSince1970: 1_800_000_000),
            draining: true, mainModeSAs: 3)
        #expect(NodeRecord(json: node.json) == node)
        let command = CommandRecord(id: "0a1b2c", identity: WildcardPattern("*X*")!, issuedBy: "B")
        #expect(CommandRecord(json: command.json) == command)
        for hostile in [
            #"{"node": "../../etc", "started": "2026-12-07T00:00:00Z", "draining": false, "mainModeSAs": 1}"#,
            #"{"node": "A", "started": "yesterday", "draining": false, "mainModeSAs": 1}"#,
            #"{"node": "A", "started": "2026-12-07T00:00:00Z", "draining": false, "mainModeSAs": -1}"#,
        ] {
            #expect(NodeRecord(json: try JSONValue(parsing: hostile)) == nil, "\(hostile)")
        }
        #expect(
            OwnershipRecord(
                json: try JSONValue(
                    parsing:
                        #"{"node": "A", "id": 1, "remoteAddress": "192.0.2.1", "localAddress": "x", "tunnels": [], "created": "2026-12-07T00:00:00Z"}"#
                ))
                == nil)
        #expect(
            BlockListStore.Entry(
                json: try JSONValue(
                    parsing: #"{"pattern": "*A*", "added": "2026-12-07T00:00:00Z", "reason": "a\u0007b"}"#))
                == nil)
        #expect(parseValue(Array(repeating: UInt8(ascii: " "), count: maximumValueLength + 1)) == nil)
    }

    @Test("cluster where: an address, a pattern, or a computer name in the forms Windows writes")
    func clientNames() throws {
        let record = try #require(
            OwnershipRecord(
                json: try JSONValue(
                    parsing:
                        #"{"node": "B", "id": 2, "identity": "CN=CLIENT1.corp.contoso.com,O=Contoso", "secondIdentity": "CORP\\CLIENT1$", "remoteAddress": "2002:c633:6401::1", "localAddress": "2002:836b:2::1", "tunnels": [{"local": "2001:db8:1::/48", "remote": "2002:c633:6401::/48"}], "created": "2026-12-07T00:00:00Z"}"#
                )))
        for matching in ["CLIENT1", "client1", "2002:c633:6401::1", "2002:c633:6401::99", "*CLIENT1*"] {
            #expect(ClusterNode.Client(matching)?.matches(record) == true, "\(matching)")
        }
        for other in ["CLIENT10", "LIENT1", "2002:c633:6402::1"] {
            #expect(ClusterNode.Client(other)?.matches(record) == false, "\(other)")
        }
        #expect(ClusterNode.Client("a b") == nil)
    }
}
#endif
