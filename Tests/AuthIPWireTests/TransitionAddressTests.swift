import AuthIPWire
import Testing

@Suite("DirectAccess transition addresses: 6to4, ISATAP, NAT64, Teredo")
struct TransitionAddressTests {
    @Test("6to4 tunnel endpoints from the server's public IPv4 addresses (seed 004)")
    func sixToFour() throws {
        #expect(IPv6Address.sixToFour(IPv4Address("131.107.0.2")!).description == "2002:836b:2::836b:2")
        #expect(IPv6Address.sixToFour(IPv4Address("131.107.0.3")!).description == "2002:836b:3::836b:3")
        #expect(IPv6Address("2002:836b:2::836b:2")!.sixToFourIPv4 == IPv4Address("131.107.0.2"))
        #expect(IPv6Address("2001:db8::1")!.sixToFourIPv4 == nil)
        #expect(IPv6Address.sixToFourPrefix(IPv4Address("131.107.0.2")!).description == "2002:836b:2::/48")
    }

    @Test("ISATAP addresses and the /96 management prefix (seed 000)")
    func isatap() throws {
        let prefix = IPv6Address("2002:836b:1:8000::")!
        let host = IPv6Address.isatap(prefix: prefix, ipv4: IPv4Address("10.0.0.9")!)
        #expect(host.description == "2002:836b:1:8000:0:5efe:a00:9")
        #expect(host.isatapIPv4 == IPv4Address("10.0.0.9"))
        let global = IPv6Address.isatap(prefix: prefix, ipv4: IPv4Address("131.107.1.1")!, globallyUnique: true)
        #expect(
            global.description == "2002:836b:1:8000:200:5efe:836b:101"
                && global.isatapIPv4 == IPv4Address("131.107.1.1"))
        let management = IPv6Address.isatapPrefix(prefix)
        #expect(management.description == "2002:836b:1:8000:0:5efe::/96")
        #expect(management.contains(.v6(host)) && !management.contains(.v6(global)))
    }

    @Test(
        "NAT64 synthesis per RFC 6052 (seed 002's prefix, and the RFC's table)",
        arguments: [
            ("fd03:b402:e10c:7777::", 96, "172.16.1.225", "fd03:b402:e10c:7777::ac10:1e1"),
            ("2001:db8::", 32, "192.0.2.33", "2001:db8:c000:221::"),
            ("2001:db8:100::", 40, "192.0.2.33", "2001:db8:1c0:2:21::"),
            ("2001:db8:122::", 48, "192.0.2.33", "2001:db8:122:c000:2:2100::"),
            ("2001:db8:122:300::", 56, "192.0.2.33", "2001:db8:122:3c0:0:221::"),
            ("2001:db8:122:344::", 64, "192.0.2.33", "2001:db8:122:344:c0:2:2100:0"),
            ("64:ff9b::", 96, "192.0.2.33", "64:ff9b::c000:221"),
        ])
    func nat64(prefix: String, length: Int, ipv4: String, expected: String) throws {
        let address = try #require(
            IPv6Address.nat64(prefix: IPv6Address(prefix)!, length: length, ipv4: IPv4Address(ipv4)!))
        #expect(address == IPv6Address(expected)!, "\(address)")
        #expect(address.nat64IPv4(prefixLength: length) == IPv4Address(ipv4))
        #expect(IPv6Address.nat64(prefix: IPv6Address(prefix)!, length: 80, ipv4: IPv4Address(ipv4)!) == nil)
    }

    @Test("Teredo: server, flags, and the obfuscated mapped address and port (RFC 4380's example)")
    func teredo() throws {
        let parts = try #require(IPv6Address("2001:0:4136:e378:8000:63bf:3fff:fdd2")!.teredo)
        #expect(parts.server == IPv4Address("65.54.227.120"))
        #expect(parts.isCone && parts.mappedPort == 40_000)
        #expect(parts.mappedAddress == IPv4Address("192.0.2.45"))
        #expect(IPv6Address("2001:db8::1")!.teredo == nil)
    }
}
