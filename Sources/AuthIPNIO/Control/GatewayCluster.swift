import AuthIPControl
import AuthIPJSON
import AuthIPSADatabase

/// The cluster a gateway is a node of, as its daemon and control socket use it (AuthIPCluster's
/// `ClusterNode`). Blocks written here reach every node, this one included, through the
/// cluster; `cluster-*` requests are answered from it.
public protocol GatewayCluster: AnyObject, Sendable {
    /// Joins the cluster: the cluster's blocks, drains and commands reach `driver` and
    /// `control` from now on. Returns at once; the node connects, and reconnects, on its own.
    func start(driver: ShardedDriver, control: ControlService)
    /// Leaves: this node's entries are withdrawn at once (as far as etcd answers in time).
    func stop() async
    /// Writes a block for every node; throws, writing nothing, when the cluster does not take it.
    func block(_ entry: BlockListStore.Entry) async throws
    /// Lifts a block for every node; false when the cluster had none for this pattern.
    func unblock(_ pattern: WildcardPattern) async throws -> Bool
    /// Answers a request whose `concernsCluster` is true.
    func perform(_ request: ControlRequest) async throws -> JSONValue
}
