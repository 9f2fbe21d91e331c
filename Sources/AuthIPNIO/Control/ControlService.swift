import AuthIP
import AuthIPControl
import AuthIPJSON
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation
import NIOCore
import Synchronization

/// Carries out control requests against a running `ShardedDriver`: reads the SA tables of its
/// shards on their loops and merges them, hands it removals and blocks as inputs, and keeps the block list (with each block's
/// reason and time) in the state directory before acknowledging a change.
public final class ControlService: Sendable {
    let driver: ShardedDriver
    let store: BlockListStore?
    let reloader: ConfigurationReloader?
    let clock: @Sendable () -> Date
    private let blocks: Mutex<[BlockListStore.Entry]>
    /// Log lines for the daemon's standard error (block changes, refused requests).
    let log: @Sendable (String) -> Void
    /// Told the rules of each configuration the endpoint adopted (a data plane's traps).
    let reconfigured: @Sendable ([ConnectionSecurityRule]) -> Void
    /// The cluster this gateway is a node of, once attached: blocks then go through it.
    private let cluster = Mutex<(any GatewayCluster)?>(nil)

    /// A service for `driver`; with a `store`, its stored blocks are handed to the driver by
    /// `restore()`.
    public init(
        driver: ShardedDriver, store: BlockListStore?, reloader: ConfigurationReloader? = nil,
        clock: @escaping @Sendable () -> Date = Date.init, log: @escaping @Sendable (String) -> Void = { _ in },
        reconfigured: @escaping @Sendable ([ConnectionSecurityRule]) -> Void = { _ in }
    ) {
        self.reconfigured = reconfigured
        self.driver = driver
        self.store = store
        self.reloader = reloader
        self.clock = clock
        self.log = log
        blocks = Mutex([])
    }

    /// Reads the stored block list and applies the blocks still in force; returns how many.
    @discardableResult
    public func restore() throws(BlockListStore.Failure) -> Int {
        guard let store else { return 0 }
        let now = clock()
        let entries = try store.load().filter { $0.until.map { $0 > now } ?? true }
        blocks.withLock { $0 = entries }
        for entry in entries { driver.submit(.block(entry.pattern, until: entry.until)) }
        return entries.count
    }

    /// Makes the gateway a node of `cluster`: blocks are written to the cluster (and refused
    /// when it cannot take them), and `cluster-*` requests answered by it.
    public func attach(_ cluster: any GatewayCluster) {
        self.cluster.withLock { $0 = cluster }
    }

    /// The blocks in force, as this node last stored them.
    public var blocksInForce: [BlockListStore.Entry] {
        let now = clock()
        return blocks.withLock { entries in entries.filter { $0.until.map { $0 > now } ?? true } }
    }

    /// Adopts the cluster's block list as a whole: blocks it adds or changes go to the driver,
    /// those it no longer has are lifted, and the list is stored. A list that cannot be stored
    /// is applied all the same (refusing a blocked laptop matters more) and the failure thrown.
    public func adoptClusterBlocks(_ entries: [BlockListStore.Entry]) -> EventLoopFuture<Void> {
        let now = clock()
        let wanted = entries.filter { $0.until.map { $0 > now } ?? true }
        let (added, lifted, saved) = blocks.withLock { current in
            let old = Dictionary(current.map { ($0.pattern, $0) }, uniquingKeysWith: { $1 })
            let new = Set(wanted.map(\.pattern))
            let added = wanted.filter { old[$0.pattern]?.until != $0.until || old[$0.pattern] == nil }
            let lifted = old.keys.filter { !new.contains($0) }
            current = wanted
            let saved: Result<Void, BlockListStore.Failure> = Result { () throws(BlockListStore.Failure) in
                try store?.save(wanted)
            }
            return (added, lifted, saved)
        }
        var submitted: [EventLoopFuture<Void>] = []
        for pattern in lifted {
            log("unblocked \(pattern.pattern) (cluster)")
            submitted.append(driver.submit(.unblock(pattern)))
        }
        for entry in added {
            log("blocked \(entry.pattern.pattern) until \(entry.until.map(ControlTime.text) ?? "removed") (cluster)")
            submitted.append(driver.submit(.block(entry.pattern, until: entry.until)))
        }
        return EventLoopFuture.andAllSucceed(submitted, on: driver.eventLoop).flatMapThrowing { try saved.get() }
    }

    /// The response line to a request line.
    public func respond(to line: String) -> EventLoopFuture<String> {
        let request: ControlRequest
        do {
            request = try ControlRequest(line: line)
        } catch {
            return driver.eventLoop.makeSucceededFuture(Self.failure(error.description))
        }
        return perform(request).map { Self.success($0) }.recover { Self.failure("\($0)") }
    }

    static func success(_ result: JSONValue) -> String {
        JSONValue.object([("version", .integer(ControlRequest.version)), ("ok", true), ("result", result)]).compactText
    }

    static func failure(_ reason: String) -> String {
        JSONValue.object([("version", .integer(ControlRequest.version)), ("ok", false), ("error", .string(reason))])
            .compactText
    }

    /// Carries out a parsed request; its result as the response's `result`.
    public func perform(_ request: ControlRequest) -> EventLoopFuture<JSONValue> {
        let cluster = self.cluster.withLock { $0 }
        if request.concernsCluster {
            guard let cluster else {
                return driver.eventLoop.makeFailedFuture(
                    ControlRequest.Refusal(
                        "this gateway is not a node of a cluster (its configuration has no \"cluster\")"))
            }
            return driver.eventLoop.makeFutureWithTask { try await cluster.perform(request) }
        }
        switch request {
        case .listSAs(let identity, let remote, let quick):
            let filter = MainModeSAFilter(remoteAddress: remote.map { AddressRange($0) }, remoteIdentity: identity)
            return driver.inspect { endpoint in
                let mainModes = endpoint.database.mainModes(matching: filter)
                let quickModes = quick ? mainModes.flatMap { endpoint.database.quickModes(mainModeID: $0.id) } : []
                return (mainModes, quickModes)
            }.map { shards in
                Self.saList(
                    shards.flatMap(\.0).sorted { $0.id < $1.id }, shards.flatMap(\.1).sorted { $0.id < $1.id },
                    quick: quick)
            }
        case .removeSAs(let identity):
            let filter = MainModeSAFilter(remoteIdentity: identity)
            return driver.inspect { endpoint in
                let records = endpoint.database.mainModes(matching: filter)
                return (records.count, records.reduce(0) { $0 + endpoint.database.quickModes(mainModeID: $1.id).count })
            }.map { shards in
                (shards.reduce(0) { $0 + $1.0 }, shards.reduce(0) { $0 + $1.1 })
            }.flatMap { counts in
                self.driver.submit(.removeMainModeSAs(filter)).map {
                    .object([("mainModeSAs", .number(counts.0)), ("quickModeSAs", .number(counts.1))])
                }
            }
        case .block(let pattern, let until, let reason):
            let now = clock()
            if let until, until <= now {
                return driver.eventLoop.makeFailedFuture(
                    ControlRequest.Refusal("\"until\" \(ControlTime.text(until)) is not in the future"))
            }
            let entry = BlockListStore.Entry(pattern: pattern, until: until, reason: reason, added: now)
            if let cluster {
                // The cluster applies it here as on every node, in its order of the cluster's changes.
                return matchingMainModes(pattern).flatMap { removed in
                    self.driver.eventLoop.makeFutureWithTask { try await cluster.block(entry) }.map {
                        .object([("block", entry.json), ("mainModeSAsRemoved", .number(removed))])
                    }
                }
            }
            return blockHere(entry)
        case .unblock(let pattern):
            if let cluster {
                return driver.eventLoop.makeFutureWithTask { try await cluster.unblock(pattern) }
                    .flatMapThrowing { found in
                        guard found else {
                            throw ControlRequest.Refusal("\(pattern.pattern) is not blocked in the cluster")
                        }
                        return .object([("removed", .string(pattern.pattern))])
                    }
            }
            return unblockHere(pattern)
        case .listBlocks:
            let entries = blocksInForce
            return driver.eventLoop.makeSucceededFuture(.object([("blocks", .array(entries.map(\.json)))]))
        case .listCRLs, .importCRL, .purgeCRLs:
            return performCRL(request)
        case .reload:
            return reload()
        case .status:
            return driver.status()
        default:
            return driver.eventLoop.makeFailedFuture(ControlRequest.Refusal("not a request for this node"))
        }
    }

    /// Blocks `entry` on this node: stored, logged, its SAs removed; the result says how many.
    private func blockHere(_ entry: BlockListStore.Entry) -> EventLoopFuture<JSONValue> {
        let (pattern, until, reason) = (entry.pattern, entry.until, entry.reason)
        do {
            try changeBlocks(clock()) { entries in
                entries.removeAll { $0.pattern == pattern }
                entries.append(entry)
            }
        } catch {
            return driver.eventLoop.makeFailedFuture(error)
        }
        log(
            "blocked \(pattern.pattern) until \(until.map(ControlTime.text) ?? "removed")"
                + (reason.map { ": \($0)" } ?? ""))
        return matchingMainModes(pattern).flatMap { removed in
            self.driver.submit(.block(pattern, until: until)).map {
                .object([("block", entry.json), ("mainModeSAsRemoved", .number(removed))])
            }
        }
    }

    /// How many Main Mode SAs a block of `pattern` removes.
    private func matchingMainModes(_ pattern: WildcardPattern) -> EventLoopFuture<Int> {
        driver.inspect { endpoint in
            endpoint.database.mainModes(matching: MainModeSAFilter(remoteIdentity: pattern)).count
        }.map { $0.reduce(0, +) }
    }

    /// Lifts the block of `pattern` on this node; refused when there is none.
    private func unblockHere(_ pattern: WildcardPattern) -> EventLoopFuture<JSONValue> {
        var found = false
        do {
            try changeBlocks(clock()) { entries in
                found = entries.contains { $0.pattern == pattern }
                entries.removeAll { $0.pattern == pattern }
            }
        } catch {
            return driver.eventLoop.makeFailedFuture(error)
        }
        guard found else {
            return driver.eventLoop.makeFailedFuture(ControlRequest.Refusal("\(pattern.pattern) is not blocked"))
        }
        log("unblocked \(pattern.pattern)")
        return driver.submit(.unblock(pattern)).map { .object([("removed", .string(pattern.pattern))]) }
    }

    /// The `crl-*` requests, against every live CRL cache, on the CRL thread pool (they read
    /// and write files).
    private func performCRL(_ request: ControlRequest) -> EventLoopFuture<JSONValue> {
        let now = clock()
        return driver.crlCaches().flatMap { caches in
            self.driver.crlThreadPool.runIfActive(eventLoop: self.driver.eventLoop) { () throws -> JSONValue in
                switch request {
                case .importCRL(let path):
                    let url = URL(fileURLWithPath: path)
                    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
                    guard let size, size <= Self.maximumCRLFileSize, let data = try? Data(contentsOf: url) else {
                        throw ControlRequest.Refusal("\(path) cannot be read or is larger than 64 MiB")
                    }
                    guard !caches.isEmpty else {
                        throw ControlRequest.Refusal("no rule of this daemon has a CRL cache")
                    }
                    var imported: JSONValue = .null
                    for cache in caches {
                        let list = try cache.insert(Array(data), source: url.absoluteString)
                        imported = Self.crlJSON(list, source: url.absoluteString)
                    }
                    return .object([("imported", imported), ("caches", .number(caches.count))])
                case .purgeCRLs(let date):
                    let removed = try caches.reduce(0) { $0 + (try $1.purgeExpired(at: date ?? now)) }
                    return .object([("purged", .number(removed))])
                default:
                    return .object([
                        (
                            "caches",
                            .array(
                                caches.map { cache in
                                    .object([
                                        ("directory", cache.directory.map { .string($0.path) } ?? .null),
                                        ("crls", .array(cache.all.map { Self.crlJSON($0.list, source: $0.source) })),
                                    ])
                                })
                        )
                    ])
                }
            }
        }
    }

    static let maximumCRLFileSize = 64 << 20

    /// `reload`: the file read and loaded on the thread pool, then adopted on the loop; a file
    /// that cannot be read, checked or loaded, or that changes what needs a restart, is
    /// refused and the running configuration kept.
    private func reload() -> EventLoopFuture<JSONValue> {
        guard let reloader else {
            return driver.eventLoop.makeFailedFuture(
                ControlRequest.Refusal("this daemon was not started from a configuration file"))
        }
        return driver.threadPool.runIfActive(eventLoop: driver.eventLoop) { try reloader.next() }
            .flatMap { (configuration, endpoint) in
                self.driver.reconfigure(endpoint).map {
                    reloader.adopt(configuration)
                    self.reconfigured(endpoint.rules)
                    return endpoint.rules.count
                }
            }
            .flatMap { rules in
                self.driver.inspect { endpoint in
                    (endpoint.database.mainModeCount, endpoint.database.quickModeCount)
                }.map { shards in
                    JSONValue.object([
                        ("rules", .number(rules)), ("mainModeSAs", .number(shards.reduce(0) { $0 + $1.0 })),
                        ("quickModeSAs", .number(shards.reduce(0) { $0 + $1.1 })),
                    ])
                }
            }
            .map { result in
                self.log("reloaded \(reloader.path): \(result.compactText)")
                return result
            }
            .flatMapErrorThrowing { error in
                self.log("reload of \(reloader.path) refused: \(error)")
                throw error
            }
    }

    static func crlJSON(_ list: RevocationList, source: String) -> JSONValue {
        .object([
            ("issuer", .string(list.issuer)), ("thisUpdate", .string(ControlTime.text(list.thisUpdate))),
            ("nextUpdate", list.nextUpdate.map { .string(ControlTime.text($0)) } ?? .null),
            ("entries", .number(list.entryCount)), ("delta", .bool(list.isDelta)), ("source", .string(source)),
        ])
    }

    /// Changes the block list (expired entries dropped) and stores it before anyone hears of it.
    private func changeBlocks(
        _ now: Date, _ change: (inout [BlockListStore.Entry]) -> Void
    ) throws(BlockListStore.Failure) {
        let result: Result<Void, BlockListStore.Failure> = blocks.withLock { entries in
            var changed = entries.filter { $0.until.map { $0 > now } ?? true }
            change(&changed)
            if let store {
                do throws(BlockListStore.Failure) {
                    try store.save(changed)
                } catch {
                    return .failure(error)
                }
            }
            entries = changed
            return .success(())
        }
        try result.get()
    }

    /// The `sa-list` result: the SAs as JSON and as `netsh advfirewall monitor show mmsa|qmsa` text.
    static func saList(_ mainModes: [MainModeSARecord], _ quickModes: [QuickModeSARecord], quick: Bool) -> JSONValue {
        var table = mainModes.isEmpty ? NetshSATable.noMatch : NetshSATable.mainModes(mainModes)
        if quick { table += quickModes.isEmpty ? NetshSATable.noMatch : NetshSATable.quickModes(quickModes) }
        var members: [(String, JSONValue)] = [("mainModeSAs", .array(mainModes.map(mainModeJSON)))]
        if quick { members.append(("quickModeSAs", .array(quickModes.map(quickModeJSON)))) }
        members.append(("table", .string(table)))
        return .object(members)
    }

    static func mainModeJSON(_ record: MainModeSARecord) -> JSONValue {
        .object([
            ("id", .number(record.id)), ("role", .string(record.role == .initiator ? "initiator" : "responder")),
            ("localAddress", .string(record.local.description)), ("remoteAddress", .string(record.remote.description)),
            ("localIdentity", record.localIdentity.map { .string($0) } ?? .null),
            ("remoteIdentity", record.remoteIdentity.map { .string($0) } ?? .null),
            ("authenticationMethod", .string(record.authenticationMethod.netshFirstName)),
            ("localSecondIdentity", record.localSecondIdentity.map { .string($0) } ?? .null),
            ("remoteSecondIdentity", record.remoteSecondIdentity.map { .string($0) } ?? .null),
            (
                "secondAuthenticationMethod",
                record.secondAuthenticationMethod.map { .string($0.netshSecondName) } ?? .null
            ),
            ("cookies", .string(record.cookies.description)), ("natDetected", .bool(record.natDetected)),
            ("ruleName", .string(record.ruleName)), ("created", .string(ControlTime.text(record.created))),
            ("expires", .string(ControlTime.text(record.expires))),
        ])
    }

    static func quickModeJSON(_ record: QuickModeSARecord) -> JSONValue {
        .object([
            ("id", .number(record.id)), ("mainModeID", .number(record.mainModeID)),
            ("localSelector", .string(record.localSelector.addresses.description)),
            ("remoteSelector", .string(record.remoteSelector.addresses.description)),
            ("tunnel", .bool(record.encapsulation.isTunnel)), ("udpEncapsulated", .bool(record.udpEncapsulated)),
            ("inboundSPI", .string(String(format: "0x%08x", record.inboundSPI))),
            ("outboundSPI", .string(String(format: "0x%08x", record.outboundSPI))),
            ("bytesIn", .number(record.bytesIn)), ("bytesOut", .number(record.bytesOut)),
            ("created", .string(ControlTime.text(record.created))),
            ("expires", .string(ControlTime.text(record.expires))),
        ])
    }
}

extension ControlRequest.Refusal: LocalizedError {
    public var errorDescription: String? { description }
}
