import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPWire
import Foundation
import Testing

/// Peers that send valid-looking but wrong messages: a man in the middle with the sender's
/// keys rewrites them in flight.
@Suite("Hostile peers: wrong proofs, a changed identity, selectors never authorized")
struct HostilePeerTests {
    /// Re-seals an encrypted message with one payload changed.
    static func rewrite(
        _ datagram: TracedDatagram, keys: [CookiePair: CryptoPayloadProtection],
        _ change: (inout [Payload]) -> Bool
    ) -> [UInt8] {
        guard let message = try? Message(parsing: datagram.bytes), message.header.flags.contains(.encrypted) else {
            return datagram.bytes
        }
        let cookies = CookiePair(initiator: message.header.initiatorCookie, responder: message.header.responderCookie)
        guard let protection = keys[cookies], let opened = try? protection.open(datagram.bytes) else {
            return datagram.bytes
        }
        var payloads = opened.payloads
        guard change(&payloads) else { return datagram.bytes }
        var header = message.header
        header.flags.remove(.encrypted)
        return
            (try? protection.seal(
                header: header, sequenceNumber: opened.sequenceNumber, iv: Array(repeating: 1, count: 16),
                payloads: payloads))
            ?? datagram.bytes
    }

    /// Flips the first byte of the Hash payload, if the message has one.
    static func corruptHash(_ payloads: inout [Payload]) -> Bool {
        guard let index = payloads.firstIndex(where: { $0.type == .hash }), case .hash(var hash) = payloads[index]
        else { return false }
        hash.data[0] ^= 0xFF
        payloads[index] = .hash(hash)
        return true
    }

    @Test("A wrong Auth1 in #5: the responder refuses with ERROR_IPSEC_IKE_INVALID_HASH, nothing is left")
    func wrongAuth1() throws {
        var fixture = EngineFixture(
            clientAuth: [try EngineFixture.clientCertificate()], serverAuth: [try EngineFixture.serverCertificate()])
        fixture.simulation.interceptor = { datagram, keys in
            guard datagram.sender == "CLIENT1", datagram.bytes[18] == ExchangeType.mainMode.rawValue else {
                return datagram.bytes
            }
            return Self.rewrite(datagram, keys: keys, Self.corruptHash)
        }
        fixture.connect()
        fixture.run(seconds: 60)
        #expect(fixture.serverNode.failureReason(4652) == WindowsError.errorIpsecIkeInvalidHash.text)
        #expect(fixture.serverNode.field("FailurePoint", of: 4652) == "Local computer")
        #expect(fixture.clientNode.failureReason(4652) == WindowsError.errorIpsecIkeInvalidHash.text)
        #expect(fixture.clientNode.field("FailurePoint", of: 4652) == "Remote computer")
        fixture.expectNothingLeft()
    }

    @Test("A wrong Auth3 ends Extended Mode with 4984 ERROR_IPSEC_IKE_INVALID_HASH and takes MM and QM state with it")
    func wrongAuth3() throws {
        let directory = try DirectAccessFixture.directory()
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory),
            client: try DirectAccessFixture.clientSetup(), directory: directory)
        fixture.simulation.interceptor = { datagram, keys in
            guard datagram.sender == "CLIENT1", datagram.bytes[18] == ExchangeType.extendedMode.rawValue else {
                return datagram.bytes
            }
            return Self.rewrite(datagram, keys: keys, Self.corruptHash)
        }
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run(seconds: 60)
        #expect(fixture.serverNode.eventIDs == [4984])
        #expect(fixture.serverNode.failureReason(4984) == WindowsError.errorIpsecIkeInvalidHash.text)
        #expect(fixture.clientNode.failureReason(4984) == WindowsError.errorIpsecIkeInvalidHash.text)
        for node in [fixture.clientNode, fixture.serverNode] {
            #expect(
                node.endpoint.sessionCount == 0 && node.installedSACount == 0
                    && node.endpoint.database.mainModeCount == 0, "\(node.name)")
        }
    }

    @Test("A client that authenticates as another computer in Extended Mode than in Main Mode is refused: 4984 13905")
    func changedIdentity() throws {
        let directory = try DirectAccessFixture.directory()
        let setup = try DirectAccessFixture.clientSetup()
        let other = NTLMCredentials(
            user: "CLIENT2$", domain: "CORP", password: "Client2-Machine-Secret", workstation: "CLIENT2")
        let rules = DirectAccessFixture.rules(setup.rules) {
            $0.authentication = AuthenticationSet([.ntlm(initiator: other, acceptor: nil)])
        }
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory), client: setup,
            directory: directory, clientRules: rules)
        fixture.reach(DirectAccessFixture.dns.first, port: 53)
        fixture.run(seconds: 60)
        #expect(fixture.serverNode.eventIDs == [4984])
        #expect(fixture.serverNode.failureReason(4984) == WindowsError.errorIpsecIkeAuthorizationFailure.text)
        #expect(fixture.serverNode.field("RemoteEMPrincipalName", of: 4984) == "CORP\\CLIENT2$")
        #expect(fixture.serverNode.endpoint.database.mainModeCount == 0)
    }

    @Test("A Quick Mode for selectors no rule allows: 4654 ERROR_IPSEC_IKE_NO_POLICY, the MM SA stands")
    func unauthorizedSelectors() throws {
        let directory = try DirectAccessFixture.directory()
        let setup = try DirectAccessFixture.clientSetup()
        var rules = setup.rules
        // The client also sends a prefix the server does not tunnel over the infrastructure tunnel.
        var extra = rules[0]
        extra.name = "rogue"
        extra.remote = TrafficSelector(AddressRange(IPAddress("2001:db8:9::")!, prefixLength: 48))
        rules.insert(extra, at: 0)
        var fixture = DirectAccessFixture(
            server: try DirectAccessFixture.serverSetup(directory: directory), client: setup,
            directory: directory, clientRules: rules)
        fixture.reach(IPAddress("2001:db8:9::1")!)
        fixture.run(seconds: 30)
        #expect(fixture.serverNode.failureReason(4654) == WindowsError.errorIpsecIkeNoPolicy.text)
        #expect(fixture.clientNode.field("FailurePoint", of: 4654) == "Remote computer")
        #expect(fixture.serverNode.endpoint.database.quickModeCount == 0)
    }
}
