import AuthIPAudit
import Testing

/// Input the model cannot represent is a typed error, never a trap.
@Suite("Input validation")
struct InputValidationTests {
    @Test("An address is 4 or 16 bytes", arguments: [0, 1, 5, 15, 17, 32])
    func addressLength(_ count: Int) {
        #expect(throws: AuditModelError.invalidAddressLength(count)) {
            try AuditAddress(bytes: [UInt8](repeating: 1, count: count))
        }
    }

    @Test("A thumbprint is the 20 bytes of SHA-1", arguments: [0, 19, 21, 32])
    func thumbprintLength(_ count: Int) {
        #expect(throws: AuditModelError.invalidThumbprintLength(count)) {
            try CertificateSummary(thumbprint: [UInt8](repeating: 0xAB, count: count), issuingCA: "I", rootCA: "R")
        }
    }

    @Test(
        "A computer name is 1-255 printable ASCII characters without spaces",
        arguments: ["", "DA1 corp", "DÄ1", "DA1\n", String(repeating: "a", count: 256)])
    func computerName(_ name: String) {
        #expect(throws: AuditModelError.invalidComputerName(name)) {
            try AuditOrigin(computer: name, processID: 1, threadID: 1)
        }
    }

    @Test("The longest computer name is accepted")
    func longestComputerName() throws {
        #expect(
            try AuditOrigin(computer: String(repeating: "a", count: 255), processID: 1, threadID: 1).computer.count
                == 255)
    }

    @Test("Syslog facilities are 0-23")
    func facility() throws {
        #expect(try SyslogFacility(code: 23).code == 23)
        #expect(throws: SyslogError.invalidFacility(24)) { try SyslogFacility(code: 24) }
    }

    @Test(
        "Syslog APP-NAME is 1-48 printable ASCII characters",
        arguments: ["", "two words", String(repeating: "x", count: 49), "é"])
    func appName(_ name: String) {
        #expect(throws: SyslogError.invalidAppName(name)) { try SyslogFormat(appName: name) }
    }

    @Test("A syslog UDP host must be a numeric address")
    func host() throws {
        let format = try SyslogFormat()
        #expect(throws: SyslogError.invalidHost("localhost")) {
            _ = try SyslogSink(destination: .udp(host: "localhost", port: 514), format: format)
        }
        #expect(throws: SyslogError.invalidSocketPath("")) {
            _ = try SyslogSink(destination: .unixDatagram(path: ""), format: format)
        }
        let long = "/" + String(repeating: "s", count: 200)
        #expect(throws: SyslogError.invalidSocketPath(long)) {
            _ = try SyslogSink(destination: .unixDatagram(path: long), format: format)
        }
    }

    @Test("Errors describe themselves")
    func descriptions() {
        #expect(AuditModelError.unknownFailureCode(0x8007_0005).description.contains("0x80070005"))
        #expect(AuditModelError.invalidThumbprintLength(3).description.contains("3"))
        #expect(DurableAuditLogError.recordIDNotIncreasing(last: 5, rejected: 5).description.contains("5"))
    }
}
