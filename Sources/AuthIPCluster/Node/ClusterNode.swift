import AuthIP
import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPSADatabase
import AuthIPWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A gateway's membership of the cluster (Docs/Cluster.md): it shares the block list, this
/// node's SA ownership, drains and SA removals with the other nodes through etcd.
///
/// The node keeps one session with etcd at a time. A session holds a lease of `leaseTTL`
/// seconds, registers the node and its Main Mode SAs under it, reads the blocks, this node's
/// drain and its pending commands at one revision, then watches those keys from the next one.
/// Whatever breaks the session (a member gone, etcd's quorum lost, the lease expired) starts
/// the next one after a short back-off, with a full read again: no change is lost, and none
/// is applied out of order. Meanwhile the node keeps enforcing the last block list it had (it
/// is also stored in the state directory) and refuses new blocks.
public final class ClusterNode: GatewayCluster {
    let settings: ClusterSettings
    let keys: ClusterKeys
    let etcd: EtcdClient
    let logger: Logger
    let clock: @Sendable () -> Date
    /// When the node started, as its entry says through every session.
    let started: Date
    let state = NIOLockedValueBox(State())
    /// Block-list adoptions, one at a time, each with the list as it is when it starts.
    let blockAdoptions = SerialRunner()
    /// Ownership writes, one at a time.
    let ownershipWrites = SerialRunner()
    /// The most blocks the node takes from the cluster; more are logged and left out.
    static let maximumBlocks = 10_000

    struct State {
        var driver: ShardedDriver?
        var control: ControlService?
        var session: Task<Void, Never>?
        /// Whether the current session has read the cluster's state and is watching it.
        var connected = false
        var lastError: String?
        /// The lease this node's entries hang on; 0: none yet.
        var lease: Int64 = 0
        /// The ownership entries written under `lease`, by SA ID.
        var registered: [UInt64: OwnershipRecord] = [:]
        /// The node entry last written under `lease`.
        var nodeRecord: NodeRecord?
        var drained = false
        /// The cluster's blocks by key, and the revision each key last changed at (deleted
        /// keys too), so that a change older than one already applied is ignored.
        var blocks: [String: (entry: BlockListStore.Entry, revision: Int64)] = [:]
        var blockRevisions: [String: Int64] = [:]
        /// When the manage-out hook last ran for a client and owner.
        var hookRuns: [String: Date] = [:]
    }

    /// Why the cluster refused a request.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// A node with these settings; it connects once `start` is called.
    public init(
        settings: ClusterSettings, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init
    ) throws {
        self.settings = settings
        keys = ClusterKeys(prefix: settings.keyPrefix)
        etcd = try EtcdClient(endpoints: settings.endpoints, tls: settings.tls)
        self.logger = logger
        self.clock = clock
        started = clock()
    }

    var name: String { settings.nodeName }

    public func start(driver: ShardedDriver, control: ControlService) {
        let loop = driver.eventLoop
        driver.routeAcquires { [weak self] traffic in
            guard let self else { return loop.makeSucceededFuture(false) }
            return loop.makeFutureWithTask { await self.routeAcquire(traffic) }
        }
        state.withLockedValue { state in
            state.driver = driver
            state.control = control
        }
        startSessions()
        logger.notice("cluster: node \(name), etcd \(settings.endpoints.map { "\($0.host):\($0.port)" })")
    }

    /// Starts the sessions with etcd (`start` does, once the driver and control are set).
    func startSessions() {
        state.withLockedValue { state in
            guard state.session == nil else { return }
            state.session = Task { await self.run() }
        }
    }

    public func stop() async {
        let session = state.withLockedValue { state in
            defer { state.session = nil }
            return state.session
        }
        session?.cancel()
        await session?.value
        let lease = state.withLockedValue { state in
            state.connected = false
            return state.lease
        }
        if lease != 0 {
            do {
                try await etcd.revokeLease(lease)
                logger.notice("cluster: left; the entries of node \(name) are withdrawn")
            } catch {
                logger.warning(
                    "cluster: could not withdraw the entries of node \(name) (they expire with the lease): \(error)")
            }
        }
        await etcd.close()
    }

    // MARK: Sessions

    /// Sessions one after another until stopped, with a back-off of 0.2 s doubling to 5 s.
    private func run() async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await session()
            } catch {
                let text = "\(error)"
                let wasConnected = state.withLockedValue { state in
                    defer {
                        state.connected = false
                        state.lastError = text
                    }
                    return state.connected
                }
                if wasConnected { delay = .milliseconds(200) }
                if !Task.isCancelled {
                    if wasConnected {
                        logger.warning(
                            "cluster: lost etcd (\(text)); enforcing the last known blocks, refusing new ones")
                    } else {
                        logger.info("cluster: etcd not reached: \(text)")
                    }
                }
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// One session: the lease (renewed from the start), a full read at one revision, the
    /// registration, then the watch from the next revision and the ownership updates, side by
    /// side until one of them fails.
    private func session() async throws {
        let lease = try await currentLease()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.renew(lease) }
            group.addTask {
                let (entries, revision) = try await self.etcd.ranges([
                    self.keys.blocks, self.keys.drain(self.name), self.keys.commands(for: self.name),
                    self.keys.ownership(of: self.name),
                ])
                await self.adoptBlocks(entries[0])
                try await self.applyDrain(entries[1].contains { $0.key == self.keys.drain(self.name) })
                try await self.syncOwnership(lease: lease, registered: entries[3])
                for entry in entries[2] { await self.execute(entry) }
                self.state.withLockedValue { state in
                    state.connected = true
                    state.lastError = nil
                }
                self.logger.notice("cluster: connected to etcd at revision \(revision), \(entries[0].count) blocks")
                try await withThrowingTaskGroup(of: Void.self) { inner in
                    inner.addTask {
                        try await self.etcd.watch(
                            [self.keys.blocks, self.keys.drain(self.name), self.keys.commands(for: self.name)],
                            from: revision + 1
                        ) { changes, _ in try await self.apply(changes) }
                    }
                    inner.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(1))
                            try await self.syncOwnership(lease: lease)
                            try await self.dropExpiredBlocks()
                        }
                    }
                    try await inner.next()
                    inner.cancelAll()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The lease of the last session if it is still alive (its entries are then still there),
    /// else a new one, with nothing registered under it yet.
    private func currentLease() async throws -> Int64 {
        let old = state.withLockedValue { $0.lease }
        if old != 0, (try? await etcd.keepAlive(old)) ?? 0 > 0 { return old }
        let lease = try await etcd.grantLease(ttl: settings.leaseTTL)
        state.withLockedValue { state in
            state.lease = lease
            state.registered = [:]
            state.nodeRecord = nil
        }
        return lease
    }

    /// Renews the lease every third of its TTL; throws once etcd says it has expired.
    private func renew(_ lease: Int64) async throws {
        while true {
            try await Task.sleep(for: .milliseconds(settings.leaseTTL * 1000 / 3))
            guard try await etcd.keepAlive(lease) > 0 else {
                throw Refusal(description: "the lease of node \(name) expired")
            }
        }
    }

    // MARK: Blocks

    /// Adopts the blocks read at a session's start as the whole list.
    private func adoptBlocks(_ entries: [EtcdClient.Entry]) async {
        var taken: [(String, BlockListStore.Entry, Int64)] = []
        for entry in entries {
            guard let block = block(entry) else { continue }
            guard taken.count < Self.maximumBlocks else {
                logger.warning("cluster: more than \(Self.maximumBlocks) blocks; \(entry.key) left out")
                continue
            }
            taken.append((entry.key, block, entry.modRevision))
        }
        state.withLockedValue { state in
            state.blocks = [:]
            state.blockRevisions = [:]
            for (key, block, revision) in taken {
                state.blocks[key] = (block, revision)
                state.blockRevisions[key] = revision
            }
        }
        await adoptCurrentBlocks()
    }

    /// Hands the node's list, as it is when this adoption's turn comes, to the control
    /// service: one adoption at a time, so a later one never applies an older list. A list
    /// that could not be stored is applied all the same; the failure is logged.
    private func adoptCurrentBlocks() async {
        do {
            try await blockAdoptions.run {
                let (control, list) = self.state.withLockedValue { ($0.control, $0.blocks.values.map(\.entry)) }
                try await control?.adoptClusterBlocks(list).get()
            }
        } catch {
            logger.error("cluster: the block list is applied but not stored: \(error)")
        }
    }

    /// The block a key holds; nil for a value that is not a block, or one stored under
    /// another pattern's key.
    private func block(_ entry: EtcdClient.Entry) -> BlockListStore.Entry? {
        guard let value = parseValue(entry.value), let block = BlockListStore.Entry(json: value),
            entry.key == keys.block(block.pattern.pattern)
        else {
            logger.warning("cluster: \(entry.key) is not a block; ignored")
            return nil
        }
        return block
    }

    /// Notes a block change at `revision` unless a later one for the key was applied; whether
    /// it was noted.
    private func note(_ key: String, _ block: BlockListStore.Entry?, at revision: Int64) -> Bool {
        state.withLockedValue { state in
            guard revision > state.blockRevisions[key] ?? 0 else { return false }
            if block != nil, state.blocks[key] == nil, state.blocks.count >= Self.maximumBlocks { return false }
            state.blockRevisions[key] = revision
            state.blocks[key] = block.map { ($0, revision) }
            return true
        }
    }

    /// Applies watched changes: blocks, this node's drain, commands for it.
    private func apply(_ changes: [EtcdClient.Change]) async throws {
        var blocksChanged = false
        for change in changes {
            switch change {
            case .put(let entry) where entry.key.hasPrefix(keys.blocks):
                guard let block = block(entry) else { continue }
                blocksChanged = note(entry.key, block, at: entry.modRevision) || blocksChanged
            case .delete(let key, let revision) where key.hasPrefix(keys.blocks):
                blocksChanged = note(key, nil, at: revision) || blocksChanged
            case .put(let entry) where entry.key == keys.drain(name):
                try await applyDrain(true)
            case .delete(let key, _) where key == keys.drain(name):
                try await applyDrain(false)
            case .put(let entry) where entry.key.hasPrefix(keys.commands(for: name)):
                await execute(entry)
            default:
                continue
            }
        }
        if blocksChanged { await adoptCurrentBlocks() }
    }

    public func block(_ entry: BlockListStore.Entry) async throws {
        var value = entry.json
        if case .object(var members) = value {
            members.append(("by", .string(name)))
            value = .object(members)
        }
        let key = keys.block(entry.pattern.pattern)
        let revision: Int64
        do {
            revision = try await etcd.put(key, Array(value.compactText.utf8))
        } catch {
            throw Refusal(description: Self.unreachable("the block of \(entry.pattern.pattern) was not written", error))
        }
        if note(key, entry, at: revision) { await adoptCurrentBlocks() }
        logger.notice("cluster: wrote the block of \(entry.pattern.pattern) at revision \(revision)")
    }

    public func unblock(_ pattern: WildcardPattern) async throws -> Bool {
        let key = keys.block(pattern.pattern)
        let (deleted, revision): (Int64, Int64)
        do {
            (deleted, revision) = try await etcd.deleteReportingRevision(key)
        } catch {
            throw Refusal(description: Self.unreachable("the block of \(pattern.pattern) was not lifted", error))
        }
        guard deleted > 0 else { return false }
        if note(key, nil, at: revision) { await adoptCurrentBlocks() }
        logger.notice("cluster: lifted the block of \(pattern.pattern) at revision \(revision)")
        return true
    }

    static func unreachable(_ what: String, _ error: any Error) -> String {
        "the cluster's etcd did not answer (\(error)): \(what), on no node. Every node keeps enforcing the "
            + "blocks it has; retry once etcd answers (authip cluster status)"
    }

    /// How long past its end a timed block's key stays: every node's engine ends the block by
    /// its own clock, and a node whose clock runs ahead must not delete it early for the others.
    static let expiredBlockGrace: TimeInterval = 300

    /// Deletes the keys of blocks ended `expiredBlockGrace` ago, each only if nobody changed it
    /// since it was read.
    private func dropExpiredBlocks() async throws {
        let horizon = clock().addingTimeInterval(-Self.expiredBlockGrace)
        let expired = state.withLockedValue { state in
            state.blocks.filter { $0.value.entry.until.map { $0 <= horizon } ?? false }.map {
                ($0.key, $0.value.revision)
            }
        }
        for (key, revision) in expired { _ = try await etcd.delete(key, ifModifiedAt: revision) }
    }

    // MARK: Drain

    /// Drains this node (new negotiations' first messages dropped, its SAs removed, the health
    /// probes failing) or takes it back into service.
    private func applyDrain(_ on: Bool) async throws {
        let (driver, control, changed) = state.withLockedValue { state in
            (state.driver, state.control, state.drained != on)
        }
        guard changed, let driver, let control else { return }
        try await driver.setDraining(on).get()
        if let path = settings.healthFile {
            if on {
                if !FileManager.default.createFile(atPath: path, contents: Data("draining\n".utf8)) {
                    logger.warning("cluster: cannot create the health file \(path)")
                }
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        if on {
            let removed = try await control.perform(.removeSAs(identity: nil)).get()
            logger.notice(
                "cluster: node \(name) drained: new negotiations refused, \(removed["mainModeSAs"]?.integerValue ?? 0) Main Mode SAs removed"
            )
        } else {
            logger.notice("cluster: node \(name) back in service")
        }
        state.withLockedValue { $0.drained = on }
        try await syncOwnership(lease: state.withLockedValue { $0.lease })
    }

    // MARK: Ownership

    /// Writes this node's entry and its Main Mode SAs' under `lease`: what changed since the
    /// last write, in transactions of at most 128 operations, one sync at a time. At a
    /// session's start, `registered` is what etcd holds under this node's ownership prefix:
    /// entries of another lease (an earlier life of the node) are deleted, the others are
    /// taken as written. A sync that fails leaves what was written unknown; the next session
    /// reads it back.
    func syncOwnership(lease: Int64, registered entries: [EtcdClient.Entry]? = nil) async throws {
        guard lease != 0, let driver = state.withLockedValue({ $0.driver }) else { return }
        try await ownershipWrites.run {
            var stale: [String] = []
            if let entries {
                var found: [UInt64: OwnershipRecord] = [:]
                for entry in entries {
                    if entry.lease == lease, let record = parseValue(entry.value).flatMap(OwnershipRecord.init(json:)),
                        entry.key == self.keys.ownership(of: self.name, id: record.id)
                    {
                        found[record.id] = record
                    } else {
                        stale.append(entry.key)
                    }
                }
                self.state.withLockedValue { $0.registered = found }
            }
            try await self.writeOwnership(lease: lease, driver: driver, stale: stale)
        }
    }

    private func writeOwnership(lease: Int64, driver: ShardedDriver, stale: [String]) async throws {
        let name = self.name
        let held = try await driver.inspect { endpoint in
            endpoint.database.mainModes(matching: MainModeSAFilter()).map { mainMode in
                OwnershipRecord(
                    node: name, mainMode: mainMode, quickModes: endpoint.database.quickModes(mainModeID: mainMode.id))
            }
        }.get().joined()
        let current = Dictionary(held.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        let (registered, oldNode, drained) = state.withLockedValue { ($0.registered, $0.nodeRecord, $0.drained) }
        let node = NodeRecord(
            name: name, internalAddress: settings.internalAddress, started: started, draining: drained,
            mainModeSAs: current.count)
        var operations: [(put: (String, [UInt8])?, delete: String?)] = stale.map { (nil, $0) }
        if node != oldNode { operations.append(((keys.node(name), Array(node.json.compactText.utf8)), nil)) }
        for (id, record) in current where registered[id] != record {
            operations.append(((keys.ownership(of: name, id: id), Array(record.json.compactText.utf8)), nil))
        }
        for id in registered.keys where current[id] == nil {
            operations.append((nil, keys.ownership(of: name, id: id)))
        }
        guard !operations.isEmpty else { return }
        var start = 0
        while start < operations.count {
            let batch = operations[start..<min(start + 128, operations.count)]
            try await etcd.apply(
                puts: batch.compactMap(\.put), deletes: batch.compactMap(\.delete), lease: lease)
            start += batch.count
        }
        state.withLockedValue { state in
            guard state.lease == lease else { return }
            state.registered = current
            state.nodeRecord = node
        }
    }

    // MARK: Commands

    /// Carries out a command for this node: removes the SAs it names, writes what was removed
    /// under the lease the command key hangs on, and deletes the command whatever happens, so
    /// that no command runs twice. A command on no lease is not one an issuer wrote.
    private func execute(_ entry: EtcdClient.Entry) async {
        guard let value = parseValue(entry.value), let command = CommandRecord(json: value),
            ClusterKeys.name(of: entry.key, under: keys.commands(for: name)) == command.id, entry.lease != 0
        else {
            logger.warning("cluster: \(entry.key) is not a command; deleted")
            _ = try? await etcd.delete(entry.key)
            return
        }
        guard let control = state.withLockedValue({ $0.control }) else { return }
        do {
            try await etcd.delete(entry.key)
        } catch {
            logger.warning("cluster: command \(command.id) not carried out: it could not be taken off etcd: \(error)")
            return
        }
        var result: [(String, JSONValue)] = [("node", .string(name))]
        do {
            let removed = try await control.perform(.removeSAs(identity: command.identity)).get()
            result += [
                ("mainModeSAs", removed["mainModeSAs"] ?? 0), ("quickModeSAs", removed["quickModeSAs"] ?? 0),
            ]
            logger.notice(
                "cluster: removed the SAs of \(command.identity.pattern) for \(command.issuedBy): \(removed.compactText)"
            )
        } catch {
            result.append(("error", .string("\(error)")))
        }
        do {
            try await etcd.put(
                keys.result(of: command.id, from: name), Array(JSONValue.object(result).compactText.utf8),
                lease: entry.lease)
            try await syncOwnership(lease: state.withLockedValue { $0.lease })
        } catch {
            logger.warning("cluster: the result of command \(command.id) was not written: \(error)")
        }
    }

    // MARK: Manage out

    /// For an acquire no shard here holds a Main Mode for: whether another node holds the
    /// client. If one does and a hook is configured, the hook runs (client address, owner node,
    /// owner's internal address) so the deployment can steer the traffic there, and no
    /// negotiation starts here; otherwise this node negotiates as it would alone.
    func routeAcquire(_ traffic: TrafficRequest) async -> Bool {
        let client = traffic.destination
        guard state.withLockedValue({ $0.connected }),
            let owner = try? await owners(of: .address(client)).first(where: { $0.record.node != name })
        else {
            return false
        }
        let address = owner.node.internalAddress
        guard let hook = settings.manageOutHook else {
            logger.notice(
                "cluster: \(client) is held by node \(owner.record.node); no manageOutHook, so negotiating from here")
            return false
        }
        let key = "\(client) \(owner.record.node)"
        let now = clock()
        let due = state.withLockedValue { state in
            guard now.timeIntervalSince(state.hookRuns[key] ?? .distantPast) >= 10 else { return false }
            state.hookRuns = state.hookRuns.filter { now.timeIntervalSince($0.value) < 10 }
            state.hookRuns[key] = now
            return true
        }
        if due {
            ManageOutHook(path: hook, logger: logger).run(
                client: client, owner: owner.record.node, ownerAddress: address)
        }
        return true
    }
}
