import AuthIP
import AuthIPAccounts
import AuthIPCrypto
import AuthIPDirectory
import AuthIPErrors
import AuthIPGSS
import AuthIPSimulation
import Foundation
import Testing

/// NTLM checked by the domain controller: the acceptor holds no NT hashes; the engine hands the
/// response to its driver (`validateNTLM`) and completes with the session key the DC returns.
@Suite("NTLM checked by the domain controller")
struct DomainControllerTests {
    static let acceptorConfiguration = NTLMAcceptorConfiguration(
        netbiosDomainName: "DA", netbiosComputerName: "DASERVER",
        dnsDomainName: "da.test", dnsComputerName: "daserver.da.test")

    static func server() -> AuthenticationProposal {
        .ntlm(
            initiator: nil,
            acceptor: NTLMAcceptorSetup(configuration: acceptorConfiguration, verifier: .domainController))
    }

    static func client(user: String = "CLIENT1$", password: String) -> AuthenticationProposal {
        .ntlm(
            initiator: NTLMCredentials(user: user, domain: "DA", password: password, workstation: "CLIENT1"),
            acceptor: nil)
    }

    /// A domain controller that knows one password: it checks NTProofStr as netlogon does.
    static func domainController(password: String) -> (NTLMValidationRequest) -> NTLMValidation {
        { request in
            let responseKey = NTLMv2.responseKey(
                ntHash: Account.ntHash(password: password), user: request.userName, domain: request.domainName)
            let proof = NTLMv2.ntProofString(
                responseKey: responseKey, serverChallenge: request.serverChallenge,
                clientChallenge: Array(request.ntResponse[16...]))
            guard proof == Array(request.ntResponse[0..<16]) else {
                return .refused(.secELogonDenied, "STATUS_WRONG_PASSWORD")
            }
            return .validated(
                sessionBaseKey: NTLMv2.sessionBaseKey(responseKey: responseKey, ntProofString: proof),
                account: Account(
                    samAccountName: request.userName, domain: "DA", kind: .computer, isEnabled: true, ntHash: .empty))
        }
    }

    @Test("The DC's session key completes the exchange: the tunnel comes up with matching keys")
    func validated() {
        var fixture = EngineFixture(clientAuth: [Self.client(password: "Client1-Pw")], serverAuth: [Self.server()])
        fixture.simulation.domainController = Self.domainController(password: "Client1-Pw")
        fixture.connect()
        fixture.run()
        fixture.expectEstablished()
        #expect(fixture.serverNode.endpoint.database.mainModes().first?.remoteIdentity == "DA\\CLIENT1$")
    }

    @Test("The DC refuses the logon: 4653 SEC_E_LOGON_DENIED at the responder, remote at the initiator")
    func refused() {
        var fixture = EngineFixture(clientAuth: [Self.client(password: "wrong")], serverAuth: [Self.server()])
        fixture.simulation.domainController = Self.domainController(password: "Client1-Pw")
        fixture.connect()
        fixture.run()
        #expect(fixture.serverNode.failureReason(4653) == WindowsError.secELogonDenied.text)
        #expect(fixture.clientNode.field("FailurePoint", of: 4653) == "Remote computer")
        fixture.expectNothingLeft()
    }

    @Test("No DC answers: after its timeout, SEC_E_NO_AUTHENTICATING_AUTHORITY; nothing is left")
    func noDomainController() {
        var fixture = EngineFixture(clientAuth: [Self.client(password: "Client1-Pw")], serverAuth: [Self.server()])
        fixture.connect()
        fixture.run(seconds: 120)
        #expect(fixture.serverNode.failureReason(4653) == WindowsError.secENoAuthenticatingAuthority.text)
        fixture.expectNothingLeft()
    }
}
