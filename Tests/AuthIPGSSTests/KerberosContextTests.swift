import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import AuthIPScenarios
import AuthIPTestSupport
import Foundation
import Testing

@Suite("Kerberos against a real krb5kdc", .serialized)
struct KerberosContextTests {
    let realm: KerberosRealm

    init() throws {
        realm = try KerberosRealm.shared.get()
    }

    enum Outcome {
        case completed(initiator: KerberosContext, acceptor: KerberosContext)
        case initiatorFailed(GSSFailure)
        case acceptorFailed(GSSFailure)
    }

    func exchange(_ credentials: KerberosCredentials, target: String = KerberosRealm.service) -> Outcome {
        var random = SeededRandomSource(seed: 1)
        let now = Date()
        let initiator: KerberosContext, acceptor: KerberosContext
        do { initiator = try KerberosContext(initiator: credentials, target: target) } catch {
            return .initiatorFailed(error)
        }
        do { acceptor = try KerberosContext(acceptor: .keytab(realm.serverKeytab)) } catch {
            return .acceptorFailed(error)
        }
        var token: [UInt8] = []
        for _ in 0..<4 {
            do { token = try initiator.step(token, now: now, random: &random).token } catch {
                return .initiatorFailed(error)
            }
            if initiator.isComplete && acceptor.isComplete { break }
            do { token = try acceptor.step(token, now: now, random: &random).token } catch {
                return .acceptorFailed(error)
            }
            if initiator.isComplete && acceptor.isComplete { break }
        }
        return .completed(initiator: initiator, acceptor: acceptor)
    }

    @Test("A password login authenticates mutually, with one shared session key and the client's name")
    func goodLogin() throws {
        guard case .completed(let initiator, let acceptor) = exchange(.cache(realm.cache("cc_alice"))) else {
            Issue.record("\(exchange(.cache(realm.cache("cc_alice"))))")
            return
        }
        #expect(initiator.isComplete && acceptor.isComplete)
        #expect(acceptor.peerName == "alice@DA.TEST")
        let key = try #require(initiator.sessionKey)
        #expect(key.count >= 16)
        #expect(key == acceptor.sessionKey)
        #expect(acceptor.authenticationIndicators == ["spake-password"])
    }

    @Test("The library can log on with a password itself")
    func passwordCredentials() {
        guard case .completed(_, let acceptor) = exchange(.password(principal: "alice@DA.TEST", password: "Alice-Pw-1"))
        else {
            Issue.record("the exchange failed")
            return
        }
        #expect(acceptor.peerName == "alice@DA.TEST")
    }

    @Test("A FAST login carries the fast-password indicator")
    func fastIndicator() {
        guard case .completed(_, let acceptor) = exchange(.cache(realm.cache("cc_alice_fast"))) else {
            Issue.record("the exchange failed")
            return
        }
        #expect(acceptor.authenticationIndicators == ["fast-password"])
    }

    @Test("A ticket for another service is refused with SEC_E_WRONG_PRINCIPAL")
    func wrongPrincipal() {
        guard
            case .acceptorFailed(let failure) = exchange(
                .cache(realm.cache("cc_alice")), target: "host/other.da.test@DA.TEST")
        else {
            Issue.record("expected the acceptor to refuse")
            return
        }
        #expect(failure.status == .secEWrongPrincipal, "\(failure)")
    }

    @Test("An unknown service is SEC_E_TARGET_UNKNOWN at the initiator")
    func unknownService() {
        guard
            case .initiatorFailed(let failure) = exchange(
                .cache(realm.cache("cc_alice")), target: "host/nowhere.da.test@DA.TEST")
        else {
            Issue.record("expected the initiator to fail")
            return
        }
        #expect(failure.status == .secETargetUnknown, "\(failure)")
    }

    @Test("A disabled principal cannot log on, a wrong password is refused, missing tickets are no credentials")
    func logonFailures() {
        guard case .initiatorFailed(let disabled) = exchange(.password(principal: "bob@DA.TEST", password: "Bob-Pw-1")),
            case .initiatorFailed(let wrongPassword) = exchange(.password(principal: "alice@DA.TEST", password: "nope")),
            case .initiatorFailed(let noTickets) = exchange(.cache("FILE:/nonexistent/authip-ccache"))
        else {
            Issue.record("expected three initiator failures")
            return
        }
        #expect(disabled.status == .secELogonDenied, "\(disabled)")
        #expect(wrongPassword.status == .secELogonDenied, "\(wrongPassword)")
        #expect(noTickets.status == .secENoCredentials, "\(noTickets)")
    }

    @Test("A TGT issued before the account was disabled still authenticates: the directory must refuse it")
    func disabledAccountKeepsItsTickets() {
        guard case .completed(_, let acceptor) = exchange(.cache(realm.cache("cc_bob"))) else {
            Issue.record("MIT's KDC changed: an old TGT no longer gets a service ticket")
            return
        }
        #expect(acceptor.peerName == "bob@DA.TEST")
    }

    @Test("An authenticator an hour ahead is refused with SEC_E_TIME_SKEW")
    func clockSkew() throws {
        // Get the service ticket first, then move the cache's KDC time offset (the v4 header's
        // DELTATIME, which the library adds to its clock) an hour ahead.
        guard case .completed = exchange(.cache(realm.cache("cc_alice"))) else {
            Issue.record("no service ticket")
            return
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(realm.directory)/cc_alice")))
        try #require(bytes.count > 16 && bytes[0] == 5 && bytes[1] == 4 && bytes[4] == 0 && bytes[5] == 1)
        bytes.replaceSubrange(8..<12, with: [0, 0, 0x0E, 0x10])
        let skewed = "\(realm.directory)/cc_alice_skewed"
        try Data(bytes).write(to: URL(fileURLWithPath: skewed))
        guard case .acceptorFailed(let failure) = exchange(.cache("FILE:" + skewed)) else {
            Issue.record("expected the acceptor to refuse the skewed authenticator")
            return
        }
        #expect(failure.status == .secETimeSkew, "\(failure)")
    }

    @Test("A garbage token is refused as an invalid token")
    func garbage() throws {
        let acceptor = try KerberosContext(acceptor: .keytab(realm.serverKeytab))
        var random = SeededRandomSource(seed: 2)
        #expect(throws: GSSFailure.self) {
            try acceptor.step([0x60, 0x03, 0x06, 0x01, 0x00], now: Date(), random: &random).token
        }
        let other = try KerberosContext(acceptor: .keytab(realm.serverKeytab))
        #expect(throws: GSSFailure.self) { try other.step([], now: Date(), random: &random).token }
    }
}
