import AuthIP
import AuthIPWire
import Testing

@testable import AuthIPXFRM

@Suite("XFRM policy table")
struct PolicyTableTests {
    let selector = XFRMSelector(
        source: XFRMPrefix(IPAddress("2001:db8:1::")!, length: 48),
        destination: XFRMPrefix(IPAddress("::")!, length: 0))

    func policy(_ reqid: UInt32, priority: UInt32 = 200_000) -> XFRMPolicy {
        XFRMPolicy(
            selector: selector, direction: .outbound, priority: priority,
            template: XFRMTemplate(mode: .tunnel, reqid: reqid))
    }

    let first = XFRMState.ID(destination: IPAddress("2002:c612:1::c612:1")!, spi: 1)
    let second = XFRMState.ID(destination: IPAddress("2002:c612:1::c612:1")!, spi: 2)

    @Test("An SA's policy replaces the trap on the same selector, its successor replaces it, the trap comes back last")
    func overlapping() {
        var table = PolicyTable()
        #expect(table.setTraps([policy(1)]) == [.put(policy(1))])
        #expect(table.add([policy(10, priority: 100_000)], owner: first) == [.put(policy(10, priority: 100_000))])
        // A rekey on the same traffic (another reqid only in this test: the data plane shares it).
        #expect(table.add([policy(11, priority: 100_000)], owner: second) == [.put(policy(11, priority: 100_000))])
        // The old SA goes: the newest one's policy stays, nothing to do.
        #expect(table.remove(owner: first) == [])
        #expect(table.remove(owner: second) == [.put(policy(1))])
        #expect(table.remove(owner: second) == [])
        #expect(table.installed == [policy(1)])
    }

    @Test("Without a trap the last SA's removal deletes the policy; a reload drops traps no SA needs")
    func removals() {
        var table = PolicyTable()
        #expect(table.add([policy(10)], owner: first) == [.put(policy(10))])
        #expect(table.remove(owner: first) == [.delete(selector, .outbound)])
        #expect(table.setTraps([policy(1)]) == [.put(policy(1))])
        #expect(table.add([policy(10)], owner: first) == [.put(policy(10))])
        // The rule is gone from the configuration, its SA is not yet: the SA's policy stays.
        #expect(table.setTraps([]) == [])
        #expect(table.remove(owner: first) == [.delete(selector, .outbound)])
        #expect(table.installed.isEmpty)
    }
}

@Suite("XFRM reqids and selectors")
struct ReqidTests {
    @Test(
        "An SA takes the reqid of the most specific trap holding its traffic, so the kernel replaces the trap's larval entry"
    )
    func trapReqid() {
        let rules = KernelPolicyTests.rules
        let traps = XFRMDataPlane.traps(for: rules).sorted { $0.priority < $1.priority }
        let outbound = XFRMFixture.sa(cipher: .aes128, integrity: .sha1)
        #expect(
            XFRMDataPlane.trap(covering: XFRMDataPlane.flow(of: outbound), in: traps) == XFRMDataPlane.reqidBand | 1)
        // The inbound direction of the same flow: the same reqid.
        let inbound = XFRMFixture.sa(cipher: .aes128, integrity: .sha1, direction: .inbound)
        #expect(XFRMDataPlane.trap(covering: XFRMDataPlane.flow(of: inbound), in: traps) == XFRMDataPlane.reqidBand | 1)
        // Traffic no rule traps: none (the data plane then gives the flow a reqid of its own).
        var other = outbound
        other.source = TrafficSelector(AddressRange("2001:db8:9::/48")!)
        #expect(XFRMDataPlane.trap(covering: XFRMDataPlane.flow(of: other), in: traps) == nil)
    }

    @Test("Selector containment: prefixes, protocol and ports")
    func containment() {
        let wide = XFRMSelector(
            source: XFRMPrefix(IPAddress("2001:db8:1::")!, length: 48),
            destination: XFRMPrefix(IPAddress("::")!, length: 0))
        let narrow = XFRMSelector(
            source: XFRMPrefix(IPAddress("2001:db8:1:5::20")!, length: 128),
            destination: XFRMPrefix(IPAddress("2002:c612:1::c612:1")!, length: 128), ipProtocol: 6,
            destinationPort: 445)
        #expect(wide.contains(narrow))
        #expect(!narrow.contains(wide))
        var port = wide
        port.destinationPort = 80
        #expect(!port.contains(narrow))
        let outside = XFRMSelector(
            source: XFRMPrefix(IPAddress("2001:db8:2::1")!, length: 128),
            destination: XFRMPrefix(IPAddress("2002:c612:1::c612:1")!, length: 128))
        #expect(!wide.contains(outside))
    }
}
