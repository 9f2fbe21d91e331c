import AuthIPTestSupport
import AuthIPWire
import Testing

@testable import AuthIP

/// What a Windows peer may send differently, sent at our engine (Docs/InteropProfile.md,
/// "Tolerated variants"). The variants that a whole endpoint sends are in the interop matrix
/// (`authip interop matrix`); these are the ones it cannot show.
@Suite("Interop tolerances")
struct InteropToleranceTests {
    /// The SA payloads of the responder's #2 (exchange 243) and of its first Quick Mode answer.
    static func answeredTransforms(_ fixture: EngineFixture) throws -> [(proposal: UInt8, transform: UInt8)] {
        let clear = try #require(
            fixture.simulation.trace.first { $0.sender == "DASERVER" && $0.bytes[19] & 1 == 0 && $0.bytes[18] == 243 })
        let message = try Message(parsing: clear.bytes)
        return message.payloads.compactMap { payload in
            guard case .securityAssociation(let sa) = payload, let proposal = sa.proposals.first,
                let transform = proposal.transforms.first
            else { return nil }
            return (proposal.number, transform.number)
        }
    }

    @Test("The responder answers with the chosen transform's own number, not renumbered to 1")
    func transformNumberKept() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()],
            serverMainMode: MainModeCryptoSet(proposals: [MainModeProposal(cipher: .aes128, hash: .sha1, group: .modp2048)]))
        fixture.simulation.recordsTraffic = true
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        // The client offered AES-256/SHA-256 as transform 1 and AES-128/SHA-1 as transform 2.
        let answered = try Self.answeredTransforms(fixture)
        #expect(answered.count == 1 && answered[0].transform == 2, "\(answered)")
    }

    @Test("A Quick Mode answer keeps the chosen ESP proposal's and transform's numbers")
    func quickModeTransformNumberKept() throws {
        var offered = QuickModeProposals.payload(
            for: .windowsDefault, spi: 0x1234_5678, encapsulationMode: EncapsulationMode.tunnel)
        offered.proposals[0].number = 3
        let offers = QuickModeProposals.offers(in: offered)
        let chosen = try #require(
            QuickModeProposals.choose(
                from: offers, set: QuickModeCryptoSet(proposals: [QuickModeProposal(cipher: .aes128, integrity: .sha1)]),
                encapsulationMode: EncapsulationMode.tunnel))
        let answer = QuickModeProposals.answer(chosen, spi: 0x9ABC_DEF0)
        #expect(answer.proposals.map(\.number) == [3])
        #expect(answer.proposals.first?.transforms.map(\.number) == [3])
        #expect(answer.proposals.first?.spi == [0x9A, 0xBC, 0xDE, 0xF0])
    }
}
