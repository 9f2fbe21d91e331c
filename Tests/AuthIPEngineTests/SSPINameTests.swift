import AuthIPGSS
import Testing

/// GSS_ID and SSPI names as Kerberos principals and directory accounts (Docs/InteropProfile.md).
@Suite("SSPI names")
struct SSPINameTests {
    @Test(
        "SSPI spellings map to the Kerberos principal",
        arguments: [
            ("CORP\\DASERVER$", "DASERVER$"),
            ("DASERVER$@corp.contoso.com", "DASERVER$@CORP.CONTOSO.COM"),
            ("DASERVER$@CORP.CONTOSO.COM", "DASERVER$@CORP.CONTOSO.COM"),
            ("HOST/DASERVER.corp.contoso.com", "host/daserver.corp.contoso.com"),
            ("host/daserver.da.test@da.test", "host/daserver.da.test@DA.TEST"),
            (" alice@DA.TEST ", "alice@DA.TEST"),
        ])
    func principals(_ name: String, _ principal: String) {
        #expect(SSPIName.kerberosPrincipal(name) == principal)
    }

    @Test("Empty names name nothing", arguments: ["", "  ", "CORP\\", "@DA.TEST", "alice@"])
    func empty(_ name: String) {
        #expect(SSPIName.kerberosPrincipal(name) == nil)
    }

    @Test("Principals map to accounts; only host principals stand for computers")
    func accounts() {
        #expect(SSPIName.account(ofPrincipal: "alice@DA.TEST")! == ("alice", "DA.TEST"))
        #expect(SSPIName.account(ofPrincipal: "CLIENT1$@DA.TEST")! == ("CLIENT1$", "DA.TEST"))
        #expect(SSPIName.account(ofPrincipal: "HOST/client1.da.test@DA.TEST")! == ("CLIENT1$", "DA.TEST"))
        #expect(SSPIName.account(ofPrincipal: "host/client1")! == ("CLIENT1$", nil))
        #expect(SSPIName.account(ofPrincipal: "http/client1.da.test@DA.TEST") == nil)
        #expect(SSPIName.account(ofPrincipal: "host/@DA.TEST") == nil)
    }

    @Test("The intranet tunnel comes up when the server's GSS_ID spells its SPN the SSPI way")
    func sspiSpelledResponder() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory,
            serverPrincipal: "HOST/DASERVER.da.test@da.test")
        fixture.reach(DirectAccessFixture.fileServer)
        fixture.run()
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(node.eventIDs == [4981, 5451], "\(node.name): \(node.eventIDs)")
        }
        fixture.expectMatchingKeys()
    }
}
