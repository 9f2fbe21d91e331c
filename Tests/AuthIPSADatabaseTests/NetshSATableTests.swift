import AuthIPSADatabase
import AuthIPWire
import Foundation
import Testing

@Suite("netsh-style SA tables")
struct NetshSATableTests {
    private func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test("A Main Mode SA prints as netsh's show mmsa block")
    func mainModeBlock() throws {
        var db = SADatabase()
        try db.insert(
            Fixture.mainMode(
                id: 1, cookies: CookiePair(initiator: 0x0123_4567_89AB_CDEF, responder: 0x42),
                remote: "10.0.0.21", remoteIdentity: "CORP\\CLIENT1$", group: .modp2048))
        let text = db.mainModeTable()
        #expect(
            lines(text) == [
                "",
                "Main Mode SA at 11/14/2023 22:13:20",
                String(repeating: "-", count: 70),
                "Local IP Address:                     10.0.0.1",
                "Remote IP Address:                    10.0.0.21",
                "My ID:                                CORP\\SERVER1$",
                "Peer ID:                              CORP\\CLIENT1$",
                "Auth1:                                ComputerKerb",
                "Auth2:                                None",
                "MM Offer:                             AES256-SHA256-DHGroup14",
                "Cookie Pair:                          0123456789abcdef:0000000000000042",
                "Health Cert:                          No",
                "",
                "Ok.",
                "",
                "",
            ])
    }

    @Test("Extended Mode and the authentication methods show in the Main Mode block")
    func mainModeVariants() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1, remoteIdentity: "CN=client1.corp.contoso.com", method: .tls, group: nil))
        try db.setSecondIdentities(mainModeID: 1, local: "CORP\\svc", remote: "CORP\\alice", method: .kerberos)
        try db.insert(Fixture.mainMode(id: 2, remote: "10.0.0.3", remoteIdentity: nil, method: .ntlm))
        try db.insert(
            Fixture.mainMode(id: 3, remote: "2001:db8::3", localIdentity: nil, remoteIdentity: nil, method: .anonymous))
        let text = lines(db.mainModeTable())
        #expect(text.filter { $0.hasPrefix("Main Mode SA at") }.count == 3)
        #expect(text.contains("Auth1:                                ComputerCert"))
        #expect(text.contains("Auth2:                                UserKerb"))
        #expect(text.contains("My 2nd ID:                            CORP\\svc"))
        #expect(text.contains("Peer 2nd ID:                          CORP\\alice"))
        #expect(text.contains("MM Offer:                             AES256-SHA256"))
        #expect(text.contains("Auth1:                                ComputerNTLM"))
        #expect(text.contains("Peer ID:                              None"))
        #expect(text.contains("Auth1:                                Anonymous"))
        #expect(text.contains("Remote IP Address:                    2001:db8::3"))
        #expect(text.filter { $0 == "Ok." }.count == 1)
        let filtered = lines(db.mainModeTable(matching: MainModeSAFilter(authenticationMethod: .ntlm)))
        #expect(filtered.filter { $0.hasPrefix("Main Mode SA at") }.count == 1)
    }

    @Test("A Quick Mode SA prints as netsh's show qmsa block")
    func quickModeBlock() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        try db.insert(Fixture.quickMode(id: 11, mainModeID: 1, inboundSPI: 0xDEAD_BEEF, outboundSPI: 0x0000_1234))
        #expect(
            lines(db.quickModeTable()) == [
                "",
                "Quick Mode SA at 11/14/2023 22:13:20",
                String(repeating: "-", count: 70),
                "Local IP Address:                     10.0.0.1",
                "Remote IP Address:                    10.0.0.2",
                "Local Port:                           Any",
                "Remote Port:                          Any",
                "Protocol:                             Any",
                "Direction:                            Both",
                "Encapsulation:                        None",
                "QM Offer:                             ESP:SHA256-AES256+60min/100000kb",
                "PFS DH Group:                         None",
                "Inbound SPI:                          0xdeadbeef",
                "Outbound SPI:                         0x00001234",
                "",
                "Ok.",
                "",
                "",
            ])
    }

    @Test("Tunnel mode, NAT-T, ports, PFS and GCM show in the Quick Mode block")
    func quickModeVariants() throws {
        var db = SADatabase()
        try db.insert(Fixture.mainMode(id: 1))
        var qm = Fixture.quickMode(
            id: 11, mainModeID: 1,
            encapsulation: .tunnel(local: Fixture.ip("198.51.100.1"), remote: Fixture.ip("203.0.113.9")))
        qm.localSelector = TrafficSelector(AddressRange("192.168.1.10-192.168.1.20")!, ipProtocol: 6, port: 443)
        qm.remoteSelector = TrafficSelector(AddressRange("2001:db8:1::/48")!, ipProtocol: 6)
        qm.udpEncapsulated = true
        qm.cipher = .aesGCM256
        qm.integrity = .none
        qm.pfsGroup = .ecp384
        qm.lifetimeSeconds = 90
        qm.lifetimeKilobytes = 0
        try db.insert(qm)
        let text = lines(db.quickModeTable())
        #expect(text.contains("Local IP Address:                     192.168.1.10-192.168.1.20"))
        #expect(text.contains("Remote IP Address:                    2001:db8:1::/48"))
        #expect(text.contains("Local Port:                           443"))
        #expect(text.contains("Remote Port:                          Any"))
        #expect(text.contains("Protocol:                             TCP"))
        #expect(text.contains("Encapsulation:                        UDP"))
        #expect(text.contains("Local Tunnel Endpoint:                198.51.100.1"))
        #expect(text.contains("Remote Tunnel Endpoint:               203.0.113.9"))
        #expect(text.contains("QM Offer:                             ESP:AESGCM256-AESGCM256+90sec"))
        #expect(text.contains("PFS DH Group:                         ECDH384"))
    }

    @Test("An empty selection prints netsh's no-match message")
    func noMatch() throws {
        var db = SADatabase()
        #expect(db.mainModeTable() == "\nNo SAs match the specified criteria.\n\n")
        #expect(db.quickModeTable() == NetshSATable.noMatch)
        try db.insert(Fixture.mainMode(id: 1))
        #expect(db.mainModeTable(matching: MainModeSAFilter(role: .initiator)) == NetshSATable.noMatch)
    }

    @Test("Timestamps are UTC in a fixed format, across leap days and before 1970")
    func timestamps() {
        func heading(_ seconds: TimeInterval) -> String {
            var record = Fixture.mainMode(id: 1)
            record.created = Date(timeIntervalSince1970: seconds)
            return lines(NetshSATable.mainModes([record]))[1]
        }
        #expect(heading(0) == "Main Mode SA at 01/01/1970 00:00:00")
        #expect(heading(951_782_400) == "Main Mode SA at 02/29/2000 00:00:00")
        #expect(heading(951_868_799.9) == "Main Mode SA at 02/29/2000 23:59:59")
        #expect(heading(-1) == "Main Mode SA at 12/31/1969 23:59:59")
        #expect(heading(4_102_444_800) == "Main Mode SA at 01/01/2100 00:00:00")
    }
}
