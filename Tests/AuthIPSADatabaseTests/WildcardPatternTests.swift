import AuthIPSADatabase
import Testing

@Suite("WildcardPattern: PowerShell -like semantics")
struct WildcardPatternTests {
    private func like(_ text: String, _ pattern: String) -> Bool { Fixture.pattern(pattern).matches(text) }

    @Test("*client1* matches a machine account and a certificate subject, ignoring case")
    func seedExample() {
        #expect(like("CORP\\CLIENT1$", "*client1*"))
        #expect(like("CN=client1.corp.contoso.com", "*client1*"))
        #expect(like("client1", "*client1*"))
        #expect(!like("CORP\\CLIENT2$", "*client1*"))
    }

    @Test("*text* (a substring search) agrees with the general matcher at every boundary")
    func infix() {
        #expect(like("CLIENT1", "*Client1*"))
        #expect(like("xxCLIENt1", "*client1*"))
        #expect(like("CLIENT1yy", "*client1*"))
        #expect(!like("CLIENT", "*client1*"))
        #expect(!like("", "*a*"))
        #expect(like("cliclient1", "*client1*"), "a partial match first, then the whole")
        #expect(like("a[b", "*`[*"), "an escaped bracket is a literal")
        #expect(like("ÄRGERLICH client1", "*CLIENT1*"), "non-ASCII text goes through the general matcher")
        #expect(!like("CORP\\CLIENT10$", "*client1$*"))
    }

    @Test("Matching is anchored at both ends")
    func anchored() {
        #expect(like("client1", "client1"))
        #expect(!like("client10", "client1"))
        #expect(!like("xclient1", "client1"))
        #expect(like("client10", "client1*"))
        #expect(like("xclient1", "*client1"))
    }

    @Test("? matches exactly one character")
    func questionMark() {
        #expect(like("CLIENT1$", "client?$"))
        #expect(!like("CLIENT10$", "client?$"))
        #expect(!like("CLIENT$", "client?$"))
        #expect(!like("", "?"))
        #expect(!like("", "*?"))
        #expect(like("a", "*?"))
    }

    @Test("* matches any run, including none, and backtracks")
    func star() {
        #expect(like("", "*"))
        #expect(like("", "**"))
        #expect(like("anything at all", "*"))
        #expect(like("aab", "*ab"))
        #expect(!like("a", "a*a"))
        #expect(like("aa", "a*a"))
        #expect(like("xxaxxbxxc", "*a*b*c*"))
        #expect(!like("acb", "*a*b*c*"))
        #expect(like("mississippi", "m*iss*ppi"))
        #expect(!like("mississippi", "m*iss*ppix"))
    }

    @Test("An empty pattern matches only empty text")
    func emptyPattern() {
        #expect(like("", ""))
        #expect(!like("a", ""))
    }

    @Test("Sets and ranges match one character, ignoring case")
    func sets() {
        #expect(like("client5", "client[0-9]"))
        #expect(!like("clientx", "client[0-9]"))
        #expect(like("CLIENTB", "client[a-c]"))
        #expect(like("clientb", "CLIENT[A-C]"))
        #expect(like("b-x", "[abc]-x"))
        #expect(!like("d-x", "[abc]-x"))
        #expect(like("-", "[-a]"))
        #expect(like("-", "[a-]"))
        #expect(!like("b", "[a-]"))
        #expect(like("host7.corp", "host[1-35-9].corp"))
        #expect(!like("host4.corp", "host[1-35-9].corp"))
    }

    @Test("A backtick makes the next character literal; a backslash is an ordinary character")
    func escapes() {
        #expect(like("a*b", "a`*b"))
        #expect(!like("axb", "a`*b"))
        #expect(like("[x]", "`[x]"))
        #expect(like("what?", "what`?"))
        #expect(!like("whatx", "what`?"))
        #expect(like("]", "[`]]"))
        #expect(like("CORP\\CLIENT1$", "corp\\*"))
    }

    @Test("Non-ASCII text compares without regard to case")
    func unicodeCase() {
        #expect(like("ÄRGERLICH", "ärger*"))
        #expect(like("Δοκιμή", "δΟΚΙΜΉ"))
    }

    @Test("Unterminated, empty or reversed sets are invalid patterns")
    func invalidPatterns() {
        #expect(WildcardPattern("[abc") == nil)
        #expect(WildcardPattern("a[") == nil)
        #expect(WildcardPattern("[]") == nil)
        #expect(WildcardPattern("[z-a]") == nil)
        #expect(WildcardPattern("]") != nil)
    }

    @Test("A pattern without wildcards exposes its literal text, escapes removed")
    func literal() {
        #expect(Fixture.pattern("CORP\\client1$").literal == "CORP\\client1$")
        #expect(Fixture.pattern("a`*").literal == "a*")
        #expect(Fixture.pattern("a*").literal == nil)
        #expect(Fixture.pattern("a?").literal == nil)
        #expect(Fixture.pattern("[a]").literal == nil)
        #expect(Fixture.pattern("*client1*").description == "*client1*")
    }
}
