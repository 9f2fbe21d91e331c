import AuthIPCrypto
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// Records for the tests, with defaults for everything a test does not care about.
enum Fixture {
    /// 11/14/2023 22:13:20 UTC.
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    static func pattern(_ text: String) -> WildcardPattern { WildcardPattern(text)! }

    static func mainMode(
        id: UInt64, cookies: CookiePair? = nil, role: SARole = .responder,
        local: String = "10.0.0.1", remote: String = "10.0.0.2",
        localIdentity: String? = "CORP\\SERVER1$", remoteIdentity: String? = "CORP\\CLIENT1$",
        method: AuthMethod = .kerberos, group: DiffieHellmanGroup? = .ecp256,
        expiresAfter lifetime: TimeInterval = 28_800, ruleName: String = "Require inbound"
    ) -> MainModeSARecord {
        MainModeSARecord(
            id: id, cookies: cookies ?? CookiePair(initiator: id &* 0x9E37_79B9_7F4A_7C15, responder: id),
            role: role, local: EndpointAddress(ip(local)), remote: EndpointAddress(ip(remote)),
            localIdentity: localIdentity, remoteIdentity: remoteIdentity, authenticationMethod: method,
            cipher: .aes256, hash: .sha256, diffieHellmanGroup: group, natDetected: false,
            quickModeLimit: 32, created: epoch, expires: epoch + lifetime, ruleName: ruleName)
    }

    static func quickMode(
        id: UInt64, mainModeID: UInt64, inboundSPI: UInt32? = nil, outboundSPI: UInt32? = nil,
        local: String = "10.0.0.1", remote: String = "10.0.0.2",
        encapsulation: IPsecEncapsulation = .transport, expiresAfter lifetime: TimeInterval = 3600
    ) -> QuickModeSARecord {
        QuickModeSARecord(
            id: id, mainModeID: mainModeID, role: .responder,
            inboundSPI: inboundSPI ?? UInt32(truncatingIfNeeded: id) | 0x1000_0000,
            outboundSPI: outboundSPI ?? UInt32(truncatingIfNeeded: id) | 0x2000_0000,
            localSelector: TrafficSelector(AddressRange(ip(local))),
            remoteSelector: TrafficSelector(AddressRange(ip(remote))),
            encapsulation: encapsulation, udpEncapsulated: false, cipher: .aes256, integrity: .sha256,
            pfsGroup: nil, lifetimeSeconds: 3600, lifetimeKilobytes: 100_000,
            created: epoch, expires: epoch + lifetime)
    }
}

/// A small seeded generator, so that randomized tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
