import AuthIP
import AuthIPWire
import CXFRM
import Foundation
import Glibc
import Synchronization
import Testing

@testable import AuthIPXFRM

/// The data plane against this machine's kernel, in a network namespace of its own: its XFRM
/// API takes policies (ESP itself may be missing: then an SA's install must fail cleanly).
/// Needs root; the VM lab (scripts/kernel-lab.sh) runs the traffic.
@Suite("XFRM data plane against the kernel", .enabled(if: getuid() == 0, "needs root for a network namespace"))
struct KernelPolicyTests {
    /// Sockets opened in a fresh network namespace: made on a thread that unshared its network
    /// namespace, they stay in it whichever thread uses them.
    struct Namespace: Sendable {
        var first: XFRMDataPlane
        var second: XFRMDataPlane
        var inspector: NetlinkSocket
    }

    static func namespace() throws -> Namespace {
        let result = Mutex<Result<Namespace, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            // unshare(2) with CLONE_NEWNET, which Glibc's Swift module does not export.
            typealias Unshare = @convention(c) (Int32) -> Int32
            let unshare = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unshare"), to: Unshare.self)
            guard unshare(0x4000_0000) == 0 else {
                result.withLock { $0 = .failure(NetlinkError.socket("unshare", errno: errno)) }
                return
            }
            result.withLock {
                $0 = Result {
                    Namespace(
                        first: try XFRMDataPlane(log: { line in print("first: \(line)") }),
                        second: try XFRMDataPlane(log: { line in print("second: \(line)") }),
                        inspector: try NetlinkSocket())
                }
            }
        }
        thread.start()
        done.wait()
        return try result.withLock { $0! }.get()
    }

    static let server = IPAddress("2002:836b:2::836b:2")!

    static var rules: [ConnectionSecurityRule] {
        [
            ConnectionSecurityRule(
                name: "intranet", local: TrafficSelector(AddressRange("2001:db8:1::/48")!),
                remote: TrafficSelector(AddressRange.allIPv6),
                mode: .tunnel(localEndpoint: server, remoteEndpoints: .allIPv6),
                mainModeAuthentication: AuthenticationSet([])),
            ConnectionSecurityRule(
                name: "to a range", local: TrafficSelector(AddressRange(IPAddress("2002:836b:2::836b:2")!)),
                remote: TrafficSelector(
                    AddressRange(first: IPAddress("2001:db8:2::1")!, last: IPAddress("2001:db8:2::2")!)!,
                    ipProtocol: 6, port: 445),
                mainModeAuthentication: AuthenticationSet([])),
        ]
    }

    static func policies(_ socket: NetlinkSocket) throws -> [XFRMPolicy] {
        try socket.dump(XFRMPolicy.dump, "list").compactMap { try XFRMPolicy(reported: $0) }
    }

    @Test(
        "Traps and bypasses at start; a crashed run's entries removed by the next, another manager's kept; nothing after stop"
    )
    func lifecycle() throws {
        let namespace = try Self.namespace()
        // Another key manager's policy, which the data plane must never touch.
        let foreign = XFRMPolicy(
            selector: XFRMSelector(
                source: XFRMPrefix(IPAddress("10.1.0.0")!, length: 16),
                destination: XFRMPrefix(IPAddress("10.2.0.0")!, length: 16)),
            direction: .outbound, priority: 5,
            template: XFRMTemplate(
                mode: .tunnel, outerSource: IPAddress("192.0.2.1")!, outerDestination: IPAddress("192.0.2.2")!,
                reqid: 77))
        try namespace.inspector.perform(foreign.update, "foreign")

        #expect(try namespace.first.start(rules: Self.rules) == 0)
        let installed = try Self.policies(namespace.inspector)
        // The intranet trap, the range's two prefixes, two bypasses, and the foreign policy.
        #expect(installed.count == 6)
        let trap = try #require(installed.first { $0.selector.source.length == 48 })
        #expect(trap.direction == .outbound)
        #expect(trap.template?.mode == .tunnel)
        #expect(trap.template?.outerSource == Self.server)
        #expect(trap.template?.outerDestination == nil)
        #expect(trap.template.map { XFRMDataPlane.owns($0.reqid) } == true)
        let range = installed.filter { $0.selector.destinationPort == 445 }
        #expect(range.map(\.selector.destination.description).sorted() == ["2001:db8:2::1/128", "2001:db8:2::2/128"])
        #expect(range.allSatisfy { $0.template?.mode == .transport && $0.selector.ipProtocol == 6 })
        let bypasses = installed.filter { $0.template == nil }
        #expect(bypasses.count == 2 && bypasses.allSatisfy { $0.priority < trap.priority })

        // An SA: ESP may be missing from this kernel. Either way nothing is left half-installed.
        let sa = XFRMFixture.sa(cipher: .aes128, integrity: .sha1)
        do {
            try namespace.first.install(sa)
            let specific = try Self.policies(namespace.inspector).filter {
                $0.selector.destination.description == "2002:c612:1::c612:1/128"
            }
            #expect(specific.count == 1)
            #expect(specific.first?.template?.outerDestination == IPAddress("2002:c612:1::c612:1")!)
            #expect(specific.first.map { $0.priority < trap.priority } == true)
            #expect(namespace.first.installedStates.count == 1)
        } catch {
            #expect("\(error)".contains("add SA spi 0x12345678 to 2002:c612:1::c612:1 (QM SA 7, outbound)"))
            #expect(namespace.first.installedStates.isEmpty)
            #expect(try Self.policies(namespace.inspector).count == 6)
        }

        // A reload to the first rule alone: the range's traps go, an SA's policy stays.
        let before = try Self.policies(namespace.inspector)
        try namespace.first.reload(rules: Array(Self.rules.prefix(1)))
        let reloaded = try Self.policies(namespace.inspector)
        #expect(reloaded.count == before.count - 2)
        #expect(!reloaded.contains { $0.selector.destinationPort == 445 })
        #expect(reloaded.contains(trap))

        // The first run "crashes": the second removes all it left, and only that.
        let left = try Self.policies(namespace.inspector).count - 1 + namespace.first.installedStates.count
        #expect(try namespace.second.start(rules: Array(Self.rules.prefix(1))) == left)
        let after = try Self.policies(namespace.inspector)
        #expect(after.contains(foreign))
        #expect(after.count == 1 + 1 + 2)

        namespace.second.stop()
        #expect(try Self.policies(namespace.inspector) == [foreign])
        #expect(throws: XFRMDataPlaneError.stopped) { try namespace.second.install(sa) }
    }
}
