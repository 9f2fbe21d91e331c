import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPTestSupport
import Foundation
import Testing

/// The JSON account directory and its file format.
@Suite("Account directory")
struct DirectoryTests {
    @Test func exampleDirectoryHoldsTheDomainsAccounts() throws {
        let directory = try NTLMFixture.directory()
        #expect(directory.domain == "CORP" && directory.dnsDomain == "corp.contoso.com")
        #expect(directory.accounts.map(\.samAccountName) == ["CLIENT1$", "DASERVER$", "STOLEN$", "alice", "bob"])
        #expect(directory.accounts.map(\.kind) == [.computer, .computer, .computer, .user, .user])
        #expect(directory.accounts.map(\.isEnabled) == [true, true, false, true, false])
        let alice = try #require(directory.account(named: "alice", inDomain: "CORP"))
        #expect(alice.groups == ["Domain Users", "DirectAccess Users"])
        #expect(alice.policy == AuthenticationPolicy(smartCardRequired: true, denyNTLM: false))
        #expect(alice.qualifiedName == "CORP\\alice")
    }

    @Test func passwordsBecomeTheirNTHashes() throws {
        let directory = try NTLMFixture.directory()
        let alice = try #require(directory.account(named: "alice", inDomain: "CORP"))
        #expect(alice.ntHash == Account.ntHash(password: "Alice-Passw0rd!"))
        let client = try #require(directory.account(named: "CLIENT1$", inDomain: "CORP"))
        #expect(client.ntHash == Account.ntHash(password: "Client1-Machine-Secret"))
        #expect(client.ntHash.count == 16)
    }

    @Test func lookUpsIgnoreCaseAndAcceptEitherDomainName() throws {
        let directory = try NTLMFixture.directory()
        for domain in ["CORP", "corp", "Corp.Contoso.COM", ""] {
            #expect(
                directory.account(named: "client1$", inDomain: domain)?.samAccountName == "CLIENT1$", "domain \(domain)"
            )
        }
        #expect(directory.account(named: "CLIENT1$", inDomain: "FABRIKAM") == nil)
        #expect(directory.account(named: "CLIENT2$", inDomain: "CORP") == nil)
        #expect(directory.account(named: "CLIENT1", inDomain: "CORP") == nil, "a computer's name includes its $")
    }

    @Test func groupMembershipIgnoresCase() throws {
        let client = try #require(try NTLMFixture.directory().account(named: "CLIENT1$", inDomain: "CORP"))
        #expect(client.isMember(of: "DIRECTACCESS CLIENTS"))
        #expect(!client.isMember(of: "DirectAccess Users"))
    }

    @Test(arguments: [
        ("[]", "(top level)"),
        (#"{"accounts": []}"#, "domain"),
        (#"{"domain": "CORP"}"#, "accounts"),
        (#"{"domain": "CORP", "accounts": [], "forest": "x"}"#, "forest"),
        (#"{"domain": "CORP", "accounts": [{"name": "A$", "kind": "computer"}]}"#, "password"),
        (
            #"{"domain": "CORP", "accounts": [{"name": "A$", "kind": "computer", "password": "p", "ntHash": "00"}]}"#,
            "password"
        ),
        (#"{"domain": "CORP", "accounts": [{"name": "a", "kind": "user", "ntHash": "abcd"}]}"#, "ntHash"),
        (#"{"domain": "CORP", "accounts": [{"name": "a", "kind": "robot", "password": "p"}]}"#, "kind"),
        (#"{"domain": "CORP", "accounts": [{"name": "a", "kind": "computer", "password": "p"}]}"#, "kind"),
        (#"{"domain": "CORP", "accounts": [{"name": "A$", "kind": "user", "password": "p"}]}"#, "kind"),
        (
            #"{"domain": "CORP", "accounts": [{"name": "a", "kind": "user", "password": "p", "enable": false}]}"#,
            "enable"
        ),
        (
            #"{"domain": "CORP", "accounts": [{"name": "a", "kind": "user", "password": "p", "enabled": "no"}]}"#,
            "enabled"
        ),
        (#"{"domain": "CORP", "accounts": [{"name": "a", "kind": "user", "password": "p", "groups": [1]}]}"#, "groups"),
    ])
    func malformedEntriesNameTheirField(json: String, field: String) {
        let error = #expect(throws: AccountDirectoryError.self) { try JSONAccountDirectory(json: json) }
        guard case .invalidField(_, let named, _) = error else {
            Issue.record("expected invalidField(\(field)), got \(String(describing: error))")
            return
        }
        #expect(named == field)
    }

    @Test func duplicateNamesDifferingOnlyInCaseAreRefused() {
        let json =
            #"{"domain": "CORP", "accounts": [{"name": "a", "kind": "user", "password": "p"}, {"name": "A", "kind": "user", "password": "q"}]}"#
        #expect(throws: AccountDirectoryError.duplicateAccount("A")) { try JSONAccountDirectory(json: json) }
    }

    @Test func unreadableAndNonJSONFilesAreTypedErrors() {
        let missing = URL(fileURLWithPath: "/nonexistent/accounts.json")
        let unreadable = #expect(throws: AccountDirectoryError.self) { try JSONAccountDirectory(contentsOf: missing) }
        guard case .unreadable(let path, _) = unreadable else {
            Issue.record("expected unreadable, got \(String(describing: unreadable))")
            return
        }
        #expect(path == missing.path)
        let notJSON = #expect(throws: AccountDirectoryError.self) { try JSONAccountDirectory(json: "{domain: CORP}") }
        guard case .malformedJSON = notJSON else {
            Issue.record("expected malformedJSON, got \(String(describing: notJSON))")
            return
        }
    }
}
