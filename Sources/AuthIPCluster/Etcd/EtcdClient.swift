import AuthIPNIO
import AuthIPWire
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOPosix

/// etcd's v3 API over gRPC, as the cluster layer calls it: reads, writes, transactions, leases
/// and watches under one key prefix's keys, each unary call with a deadline. The members are
/// reached round-robin, so a member that dies only fails the calls in flight on it.
final class EtcdClient: Sendable {
    typealias Transport = HTTP2ClientTransport.Posix

    /// A key and its value as etcd holds them.
    struct Entry: Sendable, Hashable {
        var key: String
        var value: [UInt8]
        var modRevision: Int64
        var lease: Int64
    }

    /// A change a watch reported.
    enum Change: Sendable, Hashable {
        case put(Entry)
        /// The key was deleted at this revision.
        case delete(key: String, revision: Int64)
    }

    /// Why a call failed.
    struct Failure: Error, CustomStringConvertible, Sendable {
        var description: String
    }

    private let client: GRPCClient<Transport>
    private let kv: Etcdserverpb_KV.Client<Transport>
    private let watchService: Etcdserverpb_Watch.Client<Transport>
    private let leases: Etcdserverpb_Lease.Client<Transport>
    private let running: Task<Void, Never>
    /// How long a unary call may take.
    let deadline: Duration

    /// A client of the members at `endpoints` (one address family), over TLS with a client
    /// certificate when `tls` is given.
    init(
        endpoints: [(host: IPAddress, port: UInt16)],
        tls: (certificate: String, key: String, trustedRoots: [String])?, deadline: Duration = .seconds(3),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        let pairs = endpoints.map { (host: $0.host.description, port: Int($0.port)) }
        let target: any ResolvableTarget =
            if case .v4 = endpoints[0].host { .ipv4(pairs: pairs) } else { .ipv6(pairs: pairs) }
        let security: Transport.TransportSecurity =
            if let tls {
                .mTLS(
                    certificateChain: [.file(path: tls.certificate, format: .pem)],
                    privateKey: .file(path: tls.key, format: .pem)
                ) { config in
                    config.trustRoots = .certificates(tls.trustedRoots.map { .file(path: $0, format: .pem) })
                    // The members are reached by address: their certificates must carry it (an IP SAN).
                    config.serverCertificateVerification = .fullVerification
                }
            } else {
                .plaintext
            }
        let transport = try Transport(
            target: target, transportSecurity: security,
            config: .defaults { config in
                config.backoff.initial = .milliseconds(100)
                config.backoff.max = .seconds(2)
                config.connection.maxIdleTime = nil
                // A member that stops answering without closing its connections is found out.
                config.connection.keepalive = .init(time: .seconds(5), timeout: .seconds(3), allowWithoutCalls: true)
            },
            serviceConfig: ServiceConfig(loadBalancingConfig: [.roundRobin]), eventLoopGroup: eventLoopGroup)
        let client = GRPCClient(transport: transport)
        self.client = client
        kv = Etcdserverpb_KV.Client(wrapping: client)
        watchService = Etcdserverpb_Watch.Client(wrapping: client)
        leases = Etcdserverpb_Lease.Client(wrapping: client)
        self.deadline = deadline
        running = Task { try? await client.runConnections() }
    }

    /// Closes the connections; calls in flight fail.
    func close() async {
        client.beginGracefulShutdown()
        running.cancel()
        await running.value
    }

    private var options: CallOptions {
        var options = CallOptions.defaults
        options.timeout = deadline
        options.waitForReady = true
        // Whole prefixes come back in one answer: room for some 100,000 SA entries.
        options.maxResponseMessageBytes = 64 << 20
        return options
    }

    /// Runs a call, turning whatever it throws into a `Failure` that names the call.
    private func call<Result>(_ name: String, _ body: () async throws -> Result) async throws(Failure) -> Result {
        do {
            return try await body()
        } catch let error as RPCError {
            throw Failure(description: "etcd \(name): \(error.code) \(error.message)")
        } catch {
            throw Failure(description: "etcd \(name): \(error)")
        }
    }

    /// The end of the range of keys that start with `prefix`.
    static func rangeEnd(ofPrefix prefix: String) -> Data {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }

    /// The keys under `prefix` (linearizable: what the cluster has agreed on), and the revision
    /// they were read at.
    func range(prefix: String) async throws(Failure) -> (entries: [Entry], revision: Int64) {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(prefix.utf8)
        request.rangeEnd = Self.rangeEnd(ofPrefix: prefix)
        let response = try await call("range \(prefix)") { try await kv.range(request, options: options) }
        return (response.kvs.map(Self.entry), response.header.revision)
    }

    /// The keys under each of `prefixes`, read in one transaction: all at the same revision.
    func ranges(_ prefixes: [String]) async throws(Failure) -> (entries: [[Entry]], revision: Int64) {
        var request = Etcdserverpb_TxnRequest()
        for prefix in prefixes {
            var range = Etcdserverpb_RangeRequest()
            range.key = Data(prefix.utf8)
            range.rangeEnd = Self.rangeEnd(ofPrefix: prefix)
            var operation = Etcdserverpb_RequestOp()
            operation.requestRange = range
            request.success.append(operation)
        }
        let response = try await call("read of \(prefixes.count) ranges") {
            try await kv.txn(request, options: options)
        }
        guard response.responses.count == prefixes.count else {
            throw Failure(description: "etcd answered \(response.responses.count) ranges for \(prefixes.count)")
        }
        return (response.responses.map { $0.responseRange.kvs.map(Self.entry) }, response.header.revision)
    }

    /// Writes `value` at `key`, attached to `lease` (0: none); the revision of the write.
    @discardableResult
    func put(_ key: String, _ value: [UInt8], lease: Int64 = 0) async throws(Failure) -> Int64 {
        var request = Etcdserverpb_PutRequest()
        request.key = Data(key.utf8)
        request.value = Data(value)
        request.lease = lease
        return try await call("put \(key)") { try await kv.put(request, options: options) }.header.revision
    }

    /// Deletes `key`; how many keys were deleted (0 or 1).
    @discardableResult
    func delete(_ key: String) async throws(Failure) -> Int64 {
        try await deleteReportingRevision(key).deleted
    }

    /// Deletes `key`; how many keys were deleted, and the revision after.
    func deleteReportingRevision(_ key: String) async throws(Failure) -> (deleted: Int64, revision: Int64) {
        var request = Etcdserverpb_DeleteRangeRequest()
        request.key = Data(key.utf8)
        let response = try await call("delete \(key)") { try await kv.deleteRange(request, options: options) }
        return (response.deleted, response.header.revision)
    }

    /// Deletes `key` if it was last written at `modRevision`; whether it was.
    func delete(_ key: String, ifModifiedAt modRevision: Int64) async throws(Failure) -> Bool {
        var compare = Etcdserverpb_Compare()
        compare.key = Data(key.utf8)
        compare.target = .mod
        compare.result = .equal
        compare.modRevision = modRevision
        var delete = Etcdserverpb_DeleteRangeRequest()
        delete.key = Data(key.utf8)
        var operation = Etcdserverpb_RequestOp()
        operation.requestDeleteRange = delete
        var request = Etcdserverpb_TxnRequest()
        request.compare = [compare]
        request.success = [operation]
        return try await call("txn delete \(key)") { try await kv.txn(request, options: options) }.succeeded
    }

    /// Applies puts (attached to `lease`) and deletes in one transaction; at most 128 in all
    /// (etcd's default `--max-txn-ops`).
    func apply(puts: [(String, [UInt8])], deletes: [String], lease: Int64) async throws(Failure) {
        var request = Etcdserverpb_TxnRequest()
        for (key, value) in puts {
            var put = Etcdserverpb_PutRequest()
            put.key = Data(key.utf8)
            put.value = Data(value)
            put.lease = lease
            var operation = Etcdserverpb_RequestOp()
            operation.requestPut = put
            request.success.append(operation)
        }
        for key in deletes {
            var delete = Etcdserverpb_DeleteRangeRequest()
            delete.key = Data(key.utf8)
            var operation = Etcdserverpb_RequestOp()
            operation.requestDeleteRange = delete
            request.success.append(operation)
        }
        _ = try await call("txn of \(request.success.count)") { try await kv.txn(request, options: options) }
    }

    /// A new lease of `ttl` seconds; its ID.
    func grantLease(ttl: Int) async throws(Failure) -> Int64 {
        var request = Etcdserverpb_LeaseGrantRequest()
        request.ttl = Int64(ttl)
        let response = try await call("lease grant") { try await leases.leaseGrant(request, options: options) }
        guard response.error.isEmpty, response.id != 0 else {
            throw Failure(description: "etcd lease grant: \(response.error)")
        }
        return response.id
    }

    /// Revokes a lease: its keys go at once.
    func revokeLease(_ id: Int64) async throws(Failure) {
        var request = Etcdserverpb_LeaseRevokeRequest()
        request.id = id
        _ = try await call("lease revoke") { try await leases.leaseRevoke(request, options: options) }
    }

    /// Renews a lease once; the seconds it has left (0 or less: it has expired).
    func keepAlive(_ id: Int64) async throws(Failure) -> Int64 {
        var renewal = Etcdserverpb_LeaseKeepAliveRequest()
        renewal.id = id
        let message = renewal
        let request = StreamingClientRequest(of: Etcdserverpb_LeaseKeepAliveRequest.self) { writer in
            try await writer.write(message)
        }
        return try await call("lease keep-alive") {
            try await leases.leaseKeepAlive(request: request, options: options) { response in
                for try await answer in response.messages { return answer.ttl }
                return 0
            }
        }
    }

    /// Watches the keys under each of `prefixes` from `revision` on (one stream, one watcher
    /// each), handing each response's changes and revision to `changes` in order. Returns only
    /// by throwing: when the stream breaks, a watcher is cancelled (its revision compacted), or
    /// the members lose their leader.
    func watch(
        _ prefixes: [String], from revision: Int64,
        changes: @escaping @Sendable ([Change], Int64) async throws -> Void
    ) async throws(Failure) {
        let requests = prefixes.enumerated().map { index, prefix in
            var create = Etcdserverpb_WatchCreateRequest()
            create.key = Data(prefix.utf8)
            create.rangeEnd = Self.rangeEnd(ofPrefix: prefix)
            create.startRevision = revision
            create.watchID = Int64(index + 1)
            var request = Etcdserverpb_WatchRequest()
            request.createRequest = create
            return request
        }
        let ended = AsyncStream<Void>.makeStream()
        // The request side stays open while the watch runs: etcd ends a stream whose sender left.
        let request = StreamingClientRequest(
            of: Etcdserverpb_WatchRequest.self, metadata: ["hasleader": "true"]
        ) { writer in
            try await writer.write(contentsOf: requests)
            for await _ in ended.stream {}
        }
        var watchOptions = CallOptions.defaults
        watchOptions.waitForReady = false
        try await call("watch") {
            defer { ended.continuation.finish() }
            try await watchService.watch(request: request, options: watchOptions) { response in
                for try await answer in response.messages {
                    if answer.canceled || answer.compactRevision != 0 {
                        throw Failure(
                            description:
                                "watch cancelled: \(answer.cancelReason.isEmpty ? "revision compacted to \(answer.compactRevision)" : answer.cancelReason)"
                        )
                    }
                    guard !answer.events.isEmpty else { continue }
                    let list = answer.events.map { event -> Change in
                        event.type == .delete
                            ? .delete(
                                key: String(decoding: event.kv.key, as: UTF8.self), revision: event.kv.modRevision)
                            : .put(Self.entry(event.kv))
                    }
                    try await changes(list, answer.header.revision)
                }
                throw Failure(description: "the watch stream ended")
            }
        }
    }

    private static func entry(_ value: Etcdserverpb_KeyValue) -> Entry {
        Entry(
            key: String(decoding: value.key, as: UTF8.self), value: Array(value.value), modRevision: value.modRevision,
            lease: value.lease)
    }
}
