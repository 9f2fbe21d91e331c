import AuthIPAudit
import AuthIPJSON
import Testing

/// Names come from peers and certificates; whatever they hold must not break the XML, the JSON
/// line or the syslog structured data.
@Suite("Hostile strings")
struct EscapingTests {
    static let hostile = "CORP\\o'brien <script>&amp;\"]x"

    @Test("XML escapes < > & in element text and leaves quotes as they are")
    func xml() throws {
        let xml = try Fixtures.record(Fixtures.extendedModeFailed(remote: Self.hostile)).windowsXML
        #expect(xml.contains("<Data Name='RemoteEMPrincipalName'>CORP\\o'brien &lt;script&gt;&amp;amp;\"]x</Data>"))
        #expect(!xml.contains("<script>"))
    }

    @Test("Characters XML cannot carry become U+FFFD; TAB, CR and LF stay")
    func xmlControlCharacters() throws {
        let xml = try Fixtures.record(Fixtures.extendedModeFailed(remote: "a\u{0}b\u{1B}c\td\r\ne\u{FFFE}")).windowsXML
        #expect(xml.contains("<Data Name='RemoteEMPrincipalName'>a\u{FFFD}b\u{FFFD}c\td\r\ne\u{FFFD}</Data>"))
    }

    @Test("The message text carries the name unchanged")
    func message() {
        #expect(
            Fixtures.extendedModeFailed(remote: Self.hostile).message
                .contains("\tPrincipal Name:\t\t\(Self.hostile)\r\n"))
    }

    @Test("The JSON line escapes quotes and backslashes and reads back to the same name")
    func json() throws {
        let record = try Fixtures.record(Fixtures.extendedModeFailed(remote: Self.hostile + "\n"))
        let line = record.json.compactText
        #expect(line.contains(#""RemoteEMPrincipalName":"CORP\\o'brien <script>&amp;\"]x\n""#))
        #expect(!line.contains("\n"))
        #expect(try JSONValue(parsing: line)["EventData"]?["RemoteEMPrincipalName"] == .string(Self.hostile + "\n"))
    }

    @Test("Syslog structured data escapes \" \\ and ]")
    func syslog() throws {
        let message = try SyslogFormat().message(
            for: try Fixtures.record(Fixtures.extendedModeFailed(remote: Self.hostile)))
        #expect(
            String(decoding: message, as: UTF8.self)
                .contains(#" RemoteEMPrincipalName="CORP\\o'brien <script>&amp;\"\]x" "#))
    }

    @Test("A computer name with markup characters is escaped in <Computer>")
    func computer() throws {
        let xml = try Fixtures.record(.keyingModulesNotStarted, computer: "a<b&c>").windowsXML
        #expect(xml.contains("<Computer>a&lt;b&amp;c&gt;</Computer>"))
    }
}
