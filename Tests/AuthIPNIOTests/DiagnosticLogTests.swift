import AuthIPNIO
import Logging
import Testing

@Suite("Diagnostics")
struct DiagnosticLogTests {
    static func event(_ level: Logger.Level, _ message: Logger.Message, _ metadata: Logger.Metadata?) -> LogEvent {
        LogEvent(
            level: level, message: message, metadata: metadata, source: "authip", file: #fileID, function: #function,
            line: #line)
    }

    @Test("One line: the message, then the metadata in key order; the journal's priority only on its stream")
    func lines() {
        var handler = DiagnosticLogHandler(level: .debug, journal: false)
        handler[metadataKey: "peer"] = "198.51.100.7:4500"
        let event = Self.event(.debug, "received", ["icookie": "0102030405060708", "bytes": "292"])
        #expect(handler.line(for: event) == "received bytes=292 icookie=0102030405060708 peer=198.51.100.7:4500")
        let plain = DiagnosticLogHandler(level: .info, journal: false)
        #expect(
            plain.line(for: Self.event(.notice, "control socket /run/authip/control", nil))
                == "control socket /run/authip/control")
        let journal = DiagnosticLogHandler(level: .info, journal: true)
        #expect(
            journal.line(for: Self.event(.warning, "CRL not downloaded", ["url": "http://x/y.crl"]))
                == "<4>CRL not downloaded url=http://x/y.crl")
        #expect(journal.line(for: Self.event(.info, "installing SA", nil)) == "<6>installing SA")
    }
}

@Suite("DriverConfiguration: logLevel")
struct LogLevelConfigurationTests {
    static func configuration(_ level: String) -> String {
        LoopbackConfiguration.responder(.certificate(), ports: DriverConfigurationTests.ports)
            .replacingOccurrences(of: "{\"computerName\"", with: "{\"logLevel\": \(level), \"computerName\"")
    }

    @Test("info by default; swift-log's level names; anything else names the member")
    func levels() throws {
        let plain = LoopbackConfiguration.responder(.certificate(), ports: DriverConfigurationTests.ports)
        #expect(try DriverConfigurationTests.parse(plain).logLevel == .info)
        #expect(try DriverConfigurationTests.parse(Self.configuration("\"debug\"")).logLevel == .debug)
        #expect(try DriverConfigurationTests.parse(Self.configuration("\"critical\"")).logLevel == .critical)
        for wrong in ["\"loud\"", "\"DEBUG\"", "3"] {
            do {
                _ = try DriverConfigurationTests.parse(Self.configuration(wrong))
                Issue.record("accepted logLevel \(wrong)")
            } catch {
                guard case .invalidField(let field, _) = error else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(field == "logLevel")
            }
        }
    }
}
