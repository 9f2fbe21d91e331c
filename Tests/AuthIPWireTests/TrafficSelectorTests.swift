import AuthIPWire
import Testing

@Suite("Address ranges and traffic selectors")
struct TrafficSelectorTests {
    @Test(
        "Prefixes, ranges and single addresses round-trip through their ID payload form",
        arguments: [
            "192.168.1.0/24", "10.0.0.0/8", "0.0.0.0/0", "192.0.2.7", "192.0.2.1-192.0.2.9",
            "2001:db8::/32", "::/0", "2001:db8:c::7", "fd00::1-fd00::ff", "2002:836b:2::/48",
        ])
    func roundTrip(text: String) throws {
        let range = try #require(AddressRange(text))
        #expect(range.description == text)
        #expect(AddressRange(range.identity) == range)
        let selector = TrafficSelector(range, ipProtocol: 6, port: 445)
        #expect(TrafficSelector(selector.payload) == selector)
    }

    @Test("A prefix is sent as a subnet ID, a range as a range ID, one address as an address ID")
    func identityKinds() throws {
        #expect(try #require(AddressRange("192.168.1.0/24")).identity.kind == .ipv4Subnet)
        #expect(try #require(AddressRange("192.168.1.1-192.168.1.9")).identity.kind == .ipv4Range)
        #expect(try #require(AddressRange("2001:db8::1")).identity.kind == .ipv6Address)
        #expect(try #require(AddressRange("2001:db8::/64")).prefixLength == 64)
        #expect(try #require(AddressRange("192.168.1.0/24")).prefixLength == 24)
        #expect(try #require(AddressRange("192.168.1.1-192.168.1.9")).prefixLength == nil)
    }

    @Test("Containment: addresses, ranges, protocol and port wildcards; families never mix")
    func containment() throws {
        let net = try #require(AddressRange("2001:db8::/32"))
        #expect(net.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!net.contains(IPAddress("2001:db9::1")!))
        #expect(!net.contains(IPAddress("192.0.2.1")!))
        #expect(net.contains(try #require(AddressRange("2001:db8:1::/48"))))
        let any = TrafficSelector(net)
        let smb = TrafficSelector(try #require(AddressRange("2001:db8::5")), ipProtocol: 6, port: 445)
        #expect(any.contains(smb) && !smb.contains(any))
        #expect(smb.matches(IPAddress("2001:db8::5")!, ipProtocol: 6, port: 445))
        #expect(!smb.matches(IPAddress("2001:db8::5")!, ipProtocol: 17, port: 445))
        #expect(AddressRange(first: IPAddress("10.0.0.9")!, last: IPAddress("10.0.0.1")!) == nil)
        #expect(AddressRange(first: IPAddress("10.0.0.1")!, last: IPAddress("::1")!) == nil)
        #expect(AddressRange("10.0.0.0/33") == nil)
    }
}
