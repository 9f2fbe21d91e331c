import AuthIP
import AuthIPWire
import CXFRM
import Foundation
import Glibc

/// The Linux kernel's IPsec as an endpoint's data plane. Each direction of a Quick Mode SA
/// becomes an XFRM state with its policies (out; in and, in tunnel mode, fwd); each rule gets
/// an outbound trap policy whose packets, while no SA carries them, raise an ACQUIRE. What
/// the kernel reports (ACQUIRE, EXPIRE, byte counts) comes back as `EndpointInput`s.
///
/// Everything it installs carries a `reqid` in its own band (`reqidBand`), so that a later run
/// finds and removes what a crashed one left, and never touches another key manager's entries.
public final class XFRMDataPlane: Sendable {
    /// The top byte of every reqid this data plane uses.
    public static let reqidBand: UInt32 = 0xA100_0000
    /// Priorities: lower is preferred. Bypasses first; then the more specific selector, as
    /// Windows weighs its filters (a management prefix's trap before an intranet tunnel's SA);
    /// at equal specificity an SA's policy before a trap.
    static let bypassPriority: UInt32 = 1_000
    static let policyPriority: UInt32 = 100_000

    private struct Installed {
        var state: XFRMState
        /// The byte count last reported to the endpoint.
        var reportedBytes: UInt64 = 0
    }

    private struct State {
        var policies = PolicyTable()
        var installed: [XFRMState.ID: Installed] = [:]
        /// Each installed SA by the engine's names for it: QM SA and direction.
        var byQuickModeSA: [QuickModeSAKey: XFRMState.ID] = [:]
        /// The reqid of each traffic flow (peer and selectors), shared by an SA's successors.
        var reqids: [FlowKey: (reqid: UInt32, users: Int)] = [:]
        var nextReqid: UInt32 = 0x1_0000
        /// The rules' traps, most preferred first.
        var traps: [XFRMPolicy] = []
        var stopped = false
    }

    struct QuickModeSAKey: Hashable {
        var quickModeSAID: UInt64
        var direction: IPsecSA.Direction
    }

    /// A flow: the peer and the selectors seen from this side, the same for both directions.
    struct FlowKey: Hashable {
        var peer: IPAddress
        var local: TrafficSelector
        var remote: TrafficSelector
    }

    private let socket: NetlinkSocket
    /// Behind a pthread lock (`NSLock`), which ThreadSanitizer sees: a sharded driver's
    /// shards install and remove SAs from their own threads.
    private let state = LockedState(State())
    private let log: @Sendable (String) -> Void

    /// Opens the netlink socket (CAP_NET_ADMIN). `log` gets one line per kernel change that
    /// failed and per leftover removed.
    public init(log: @escaping @Sendable (String) -> Void) throws(NetlinkError) {
        socket = try NetlinkSocket()
        self.log = log
    }

    /// The socket option a NAT traversal (4500) socket needs for the kernel to take the
    /// ESP-in-UDP packets arriving on it: `UDP_ENCAP` = `UDP_ENCAP_ESPINUDP` at level UDP.
    public static let espInUDPSocketOption = (
        level: Int32(IPPROTO_UDP), name: Int32(UDP_ENCAP), value: Int32(UDP_ENCAP_ESPINUDP)
    )

    // MARK: - Start, reload, stop

    /// Removes what an earlier run left (policies and SAs with a reqid in the band), then
    /// installs the bypasses and the rules' traps. Returns how many leftovers were removed.
    @discardableResult
    public func start(rules: [ConnectionSecurityRule]) throws(NetlinkError) -> Int {
        let removed = try removeLeftovers()
        try setTraps(for: rules)
        return removed
    }

    /// The traps of a new rule set (`authip reload`).
    public func reload(rules: [ConnectionSecurityRule]) throws(NetlinkError) {
        try setTraps(for: rules)
    }

    private func setTraps(for rules: [ConnectionSecurityRule]) throws(NetlinkError) {
        let traps = Self.traps(for: rules).sorted { $0.priority < $1.priority }
        try apply(
            state.withLock { state in
                state.traps = traps
                return state.policies.setTraps(Self.bypasses + traps)
            })
    }

    /// Removes every SA and policy this data plane installed (all in its band). Afterwards it
    /// installs nothing.
    public func stop() {
        state.withLock {
            $0.stopped = true
            $0.installed = [:]
            $0.byQuickModeSA = [:]
            $0.policies = PolicyTable()
        }
        do { _ = try removeLeftovers() } catch { log("\(error)") }
    }

    /// Removes the policies and SAs in the band: a crashed run's at start, this run's at stop.
    /// The kernel's larval ACQUIRE entries (SPI 0) cannot be removed one by one; they expire
    /// by themselves (30 s by default).
    private func removeLeftovers() throws(NetlinkError) -> Int {
        var removed = 0
        for message in try socket.dump(XFRMPolicy.dump, "list the policies") {
            guard let policy = try XFRMPolicy(reported: message), Self.owns(policy) else { continue }
            do {
                try socket.perform(XFRMPolicy.delete(policy.selector, policy.direction), "remove leftover \(policy)")
                log("removed a leftover \(policy)")
                removed += 1
            } catch  where error.errno == ENOENT {}
        }
        for message in try socket.dump(XFRMState.dump, "list the SAs") {
            guard let reported = try XFRMReportedState(message), Self.owns(reported.reqid), reported.id.spi != 0 else {
                continue
            }
            do {
                try socket.perform(reported.id.delete, "remove leftover \(reported.id)")
                log("removed a leftover \(reported.id)")
                removed += 1
            } catch  where error.errno == ESRCH {}
        }
        return removed
    }

    static func owns(_ reqid: UInt32) -> Bool { reqid & 0xFF00_0000 == reqidBand }

    /// Whether a policy is one this data plane installs: a template in the band, or one of
    /// its bypasses.
    static func owns(_ policy: XFRMPolicy) -> Bool {
        if let template = policy.template { return owns(template.reqid) }
        return policy.priority == bypassPriority
            && bypasses.contains { $0.selector == policy.selector && $0.direction == policy.direction }
    }

    // MARK: - SAs

    /// Installs one direction of a Quick Mode SA with its policies. On failure nothing of it
    /// stays in the kernel and the error names the SA or policy concerned.
    public func install(_ sa: IPsecSA) throws(XFRMDataPlaneError) {
        let flow = Self.flow(of: sa)
        let (reqid, stopped) = state.withLock { state -> (UInt32, Bool) in
            if let known = state.reqids[flow] {
                state.reqids[flow] = (known.reqid, known.users + 1)
                return (known.reqid, state.stopped)
            }
            // The reqid of the trap that raised the ACQUIRE, so that the kernel replaces its
            // larval entry with this SA (otherwise that entry holds back new ACQUIREs for the
            // traffic until it expires).
            if let trap = Self.trap(covering: flow, in: state.traps) {
                state.reqids[flow] = (trap, 1)
                return (trap, state.stopped)
            }
            let taken = Set(state.reqids.values.map(\.reqid))
            repeat {
                state.nextReqid = state.nextReqid >= 0xFF_FFFF ? 0x1_0000 : state.nextReqid + 1
            } while taken.contains(Self.reqidBand | state.nextReqid)
            let reqid = Self.reqidBand | state.nextReqid
            state.reqids[flow] = (reqid, 1)
            return (reqid, state.stopped)
        }
        let xfrmState = XFRMState(sa, reqid: reqid)
        do throws(XFRMDataPlaneError) {
            guard !stopped else { throw .stopped }
            let message = try xfrmState.add()
            do {
                try socket.perform(message, "add \(xfrmState.id) (QM SA \(sa.quickModeSAID), \(sa.direction.rawValue))")
            } catch {
                throw .kernel(error)
            }
        } catch {
            release(flow)
            throw error
        }
        let changes = state.withLock { state in
            state.installed[xfrmState.id] = Installed(state: xfrmState)
            state.byQuickModeSA[QuickModeSAKey(quickModeSAID: sa.quickModeSAID, direction: sa.direction)] = xfrmState.id
            return state.policies.add(Self.policies(for: sa, reqid: reqid), owner: xfrmState.id)
        }
        do {
            try apply(changes)
        } catch {
            // Nothing half-installed: the SA and its policies go again.
            remove(xfrmState.id)
            throw .kernel(error)
        }
    }

    /// Removes one direction of a Quick Mode SA and the policies only it needed. An SPI this
    /// data plane does not hold (its install failed, or the kernel expired it) is no error.
    public func remove(spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64) {
        let id = state.withLock {
            $0.byQuickModeSA[QuickModeSAKey(quickModeSAID: quickModeSAID, direction: direction)]
        }
        if let id, id.spi == spi { remove(id) }
    }

    private func remove(_ id: XFRMState.ID, deleteState: Bool = true) {
        let (changes, installed) = state.withLock { state in
            let installed = state.installed.removeValue(forKey: id)
            if let sa = installed?.state.sa {
                state.byQuickModeSA[QuickModeSAKey(quickModeSAID: sa.quickModeSAID, direction: sa.direction)] = nil
                Self.release(Self.flow(of: sa), in: &state)
            }
            return (state.policies.remove(owner: id), installed)
        }
        do { try apply(changes) } catch { log("\(error)") }
        guard installed != nil, deleteState else { return }
        do { try socket.perform(id.delete, "remove \(id)") } catch  where error.errno == ESRCH {
        } catch { log("\(error)") }
    }

    private func release(_ flow: FlowKey) { state.withLock { Self.release(flow, in: &$0) } }

    private static func release(_ flow: FlowKey, in state: inout State) {
        guard let known = state.reqids[flow] else { return }
        state.reqids[flow] = known.users > 1 ? (known.reqid, known.users - 1) : nil
    }

    // MARK: - What the kernel reports

    /// The inputs a kernel notification means: an ACQUIRE is traffic to negotiate for; a soft
    /// EXPIRE reports the SA's bytes (the engine rekeys at its kilobyte lifetime); a hard
    /// EXPIRE (the kernel removed the SA) removes the Quick Mode SA.
    public func inputs(for notification: XFRMNotification) -> [EndpointInput] {
        switch notification {
        case .acquire(let traffic, _):
            return [.acquire(traffic)]
        case .expire(let reported, let hard):
            if hard {
                let sa = state.withLock { $0.installed[reported.id]?.state.sa }
                guard let sa else { return [] }
                remove(reported.id, deleteState: false)
                return [.removeQuickModeSA(id: sa.quickModeSAID)]
            }
            return counted([reported])
        }
    }

    /// The bytes each installed SA carried since the last report, read from the kernel
    /// (`XFRM_MSG_GETSA`), as `bytesTransferred` inputs.
    public func byteCounts() -> [EndpointInput] {
        let ids = state.withLock { Array($0.installed.keys) }
        var reports: [XFRMReportedState] = []
        for id in ids {
            do {
                if let reported = try XFRMReportedState(socket.query(id.get, "read \(id)")) { reports.append(reported) }
            } catch  where error.errno == ESRCH {
            } catch { log("\(error)") }
        }
        return counted(reports)
    }

    private func counted(_ reports: [XFRMReportedState]) -> [EndpointInput] {
        state.withLock { state in
            reports.compactMap { reported in
                guard var installed = state.installed[reported.id], reported.bytes > installed.reportedBytes else {
                    return nil
                }
                let delta = reported.bytes - installed.reportedBytes
                installed.reportedBytes = reported.bytes
                state.installed[reported.id] = installed
                return .bytesTransferred(
                    quickModeSAID: installed.state.sa.quickModeSAID, inbound: installed.state.sa.direction == .inbound,
                    bytes: delta)
            }
        }
    }

    /// The SAs installed now.
    public var installedStates: [XFRMState.ID] { state.withLock { Array($0.installed.keys) } }

    /// The policies installed now.
    public var installedPolicies: [XFRMPolicy] { state.withLock { $0.policies.installed } }

    // MARK: - Policies

    private func apply(_ changes: [PolicyTable.Change]) throws(NetlinkError) {
        for change in changes {
            switch change {
            case .put(let policy):
                try socket.perform(policy.update, "install \(policy)")
            case .delete(let selector, let direction):
                do {
                    try socket.perform(
                        XFRMPolicy.delete(selector, direction), "remove policy \(selector) dir \(direction)")
                } catch  where error.errno == ENOENT {}
            }
        }
    }

    /// The reqid of the most preferred trap whose selector holds a flow's outbound traffic.
    static func trap(covering flow: FlowKey, in traps: [XFRMPolicy]) -> UInt32? {
        guard let selector = XFRMSelector.covering(source: flow.local, destination: flow.remote).first else {
            return nil
        }
        return traps.first { $0.selector.contains(selector) }?.template?.reqid
    }

    static func flow(of sa: IPsecSA) -> FlowKey {
        sa.direction == .outbound
            ? FlowKey(peer: sa.outerDestination.ip, local: sa.source, remote: sa.destination)
            : FlowKey(peer: sa.outerSource.ip, local: sa.destination, remote: sa.source)
    }

    /// The policies an SA needs: outbound, its traffic's `out`; inbound, `in` and in tunnel
    /// mode `fwd` (traffic the gateway passes on).
    static func policies(for sa: IPsecSA, reqid: UInt32) -> [XFRMPolicy] {
        let template = XFRMTemplate(
            mode: sa.encapsulation.isTunnel ? .tunnel : .transport,
            outerSource: sa.encapsulation.isTunnel ? sa.outerSource.ip : nil,
            outerDestination: sa.encapsulation.isTunnel ? sa.outerDestination.ip : nil, reqid: reqid)
        let directions: [XFRMDirection] =
            sa.direction == .outbound ? [.outbound] : sa.encapsulation.isTunnel ? [.inbound, .forward] : [.inbound]
        return XFRMSelector.covering(source: sa.source, destination: sa.destination).flatMap { selector in
            directions.map { direction in
                XFRMPolicy(
                    selector: selector, direction: direction, priority: priority(selector, trap: false),
                    template: template)
            }
        }
    }

    /// Each rule's outbound trap: its local to its remote traffic, ESP toward its tunnel
    /// endpoint (unknown for a gateway's rule: the ACQUIRE names the packet's destination).
    static func traps(for rules: [ConnectionSecurityRule]) -> [XFRMPolicy] {
        rules.enumerated().flatMap { index, rule -> [XFRMPolicy] in
            let template: XFRMTemplate
            let reqid = reqidBand | UInt32(index + 1)
            switch rule.mode {
            case .transport:
                template = XFRMTemplate(mode: .transport, reqid: reqid)
            case .tunnel(let local, let remotes):
                template = XFRMTemplate(
                    mode: .tunnel, outerSource: local,
                    outerDestination: remotes.first == remotes.last ? remotes.first : nil,
                    reqid: reqid)
            }
            return XFRMSelector.covering(source: rule.local, destination: rule.remote).map {
                XFRMPolicy(selector: $0, direction: .outbound, priority: priority($0, trap: true), template: template)
            }
        }
    }

    /// Outbound packets no trap may catch: IPv6 link-local and multicast (neighbour discovery).
    static var bypasses: [XFRMPolicy] {
        [("ff00::", 8), ("fe80::", 10)].map { prefix, length in
            let selector = XFRMSelector(
                source: XFRMPrefix(.v6(IPv6Address(high: 0, low: 0)), length: 0),
                destination: XFRMPrefix(IPAddress(prefix)!, length: length))
            return XFRMPolicy(selector: selector, direction: .outbound, priority: bypassPriority, template: nil)
        }
    }

    /// A policy's priority: lower for a more specific selector, a trap after an SA's policy.
    static func priority(_ selector: XFRMSelector, trap: Bool) -> UInt32 {
        let specificity =
            selector.source.length + selector.destination.length + (selector.ipProtocol != 0 ? 1 : 0)
            + (selector.sourcePort != 0 ? 1 : 0) + (selector.destinationPort != 0 ? 1 : 0)
        return policyPriority + UInt32(512 - specificity) * 2 + (trap ? 1 : 0)
    }
}

/// Why an SA could not be installed.
public enum XFRMDataPlaneError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kernel refused it or a policy it needs.
    case kernel(NetlinkError)
    /// The kernel has no algorithm for it.
    case unsupported(String)
    /// The data plane was stopped.
    case stopped

    public var description: String {
        switch self {
        case .kernel(let error): return "\(error)"
        case .unsupported(let what): return "\(what) is not supported by the kernel's ESP"
        case .stopped: return "the data plane is stopped"
        }
    }
}

/// A value behind an `NSLock` (a pthread mutex, which ThreadSanitizer understands; the
/// standard library's `Mutex` is invisible to it).
private final class LockedState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
