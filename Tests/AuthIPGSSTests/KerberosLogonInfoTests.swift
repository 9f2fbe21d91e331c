import AuthIPGSS
import AuthIPTestSupport
import Foundation
import Testing

@Suite("The PAC's logon information: the SIDs of the account and its groups")
struct KerberosLogonInfoTests {
    /// alice's `urn:mspac:logon-info`, as MIT Kerberos returned it for a ticket of the Samba
    /// test DC: RID 1104, groups 513, 1107 (DirectAccessClients) and 1108 (DA-Nested), and
    /// the extra SID S-1-18-1 (authentication authority asserted identity).
    static let alice = TestVectors.directory.appendingPathComponent("pac/logon-info-alice.bin")

    @Test("Samba's PAC for alice decodes to her SID, her three groups and the extra SID")
    func alice() throws {
        let info = try KerberosLogonInfo(ndr: Array(try Data(contentsOf: Self.alice)))
        let domain = "S-1-5-21-3712428675-777751126-2602156413"
        #expect(info.domainSID == domain && info.userRID == 1104)
        #expect(
            info.sids == ["\(domain)-1104", "\(domain)-513", "\(domain)-1108", "\(domain)-1107", "S-1-18-1"],
            "in the PAC's order")
    }

    @Test("Every truncation into the data and a wrong header are typed errors, never a trap")
    func truncated() throws {
        let bytes = Array(try Data(contentsOf: Self.alice))
        // The buffer ends with up to 7 bytes of NDR padding, which the SIDs do not need.
        let shortest = try #require(
            (0...bytes.count).first { (try? KerberosLogonInfo(ndr: Array(bytes[..<$0]))) != nil })
        #expect(shortest >= bytes.count - 7)
        for length in 0..<shortest {
            #expect(throws: PACError.self) { try KerberosLogonInfo(ndr: Array(bytes[..<length])) }
        }
        var wrong = bytes
        wrong[1] = 0x00
        #expect(throws: PACError.self) { try KerberosLogonInfo(ndr: wrong) }
    }
}
