import AuthIPAudit
import Testing

/// The generated failure-reason table and how a reason appears in an event.
@Suite("Failure reasons")
struct FailureReasonTests {
    @Test(
        "DirectAccess's documented reasons have Windows' symbol and text",
        arguments: [
            (UInt32(13905), "ERROR_IPSEC_IKE_AUTHORIZATION_FAILURE", "SA establishment is not authorized."),
            (
                13906, "ERROR_IPSEC_IKE_STRONG_CRED_AUTHORIZATION_FAILURE",
                "SA establishment is not authorized because there is not a sufficiently strong PKINIT-based credential."
            ),
            (13801, "ERROR_IPSEC_IKE_AUTH_FAIL", "IKE authentication credentials are unacceptable"),
            (13805, "ERROR_IPSEC_IKE_TIMED_OUT", "Negotiation timed out"),
            (
                0x8009_2013, "CRYPT_E_REVOCATION_OFFLINE",
                "The revocation function was unable to check revocation because the revocation server was offline."
            ),
            (0x800B_010C, "CERT_E_REVOKED", "A certificate was explicitly revoked by its issuer."),
        ])
    func knownReasons(_ code: UInt32, _ name: String, _ text: String) throws {
        let reason = try FailureReason(code: code)
        #expect(reason.code == code)
        #expect(reason.name == name)
        #expect(reason.text == text)
    }

    @Test("Named constants are the table's entries")
    func namedConstants() throws {
        #expect(try FailureReason(code: 13905) == FailureReason(.errorIpsecIkeAuthorizationFailure))
        #expect(try FailureReason(code: 13906) == FailureReason(.errorIpsecIkeStrongCredAuthorizationFailure))
        #expect(try FailureReason(code: 13801) == FailureReason(.errorIpsecIkeAuthFail))
        #expect(try FailureReason(code: 0x8009_2013) == FailureReason(.cryptERevocationOffline))
    }

    @Test("A Win32 code in its HRESULT_FROM_WIN32 form finds the same reason")
    func hresultFromWin32() throws {
        #expect(try FailureReason(code: 0x8007_3651) == FailureReason(.errorIpsecIkeAuthorizationFailure))
        #expect(try FailureReason(code: 0x8007_35E9).code == 13801)
    }

    @Test(
        "A code outside the table is a typed error", arguments: [UInt32(0), 5, 13799, 13933, 0x8007_0005, 0x800B_0199])
    func unknownCode(_ code: UInt32) {
        #expect(throws: AuditModelError.unknownFailureCode(code)) { try FailureReason(code: code) }
    }

    @Test("The table holds every IKE code 13800-13909 once, and codes are unique")
    func tableShape() {
        let codes = FailureReason.all.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(Set(13800...13909).isSubset(of: Set(codes)))
        #expect(FailureReason.all.allSatisfy { !$0.name.isEmpty && !$0.text.isEmpty })
    }

    @Test("FailureReason is the literal text in XML, message, JSON and syslog, never %%NNNN")
    func literalInEveryForm() throws {
        let record = try Fixtures.record(
            Fixtures.extendedModeFailed(reason: FailureReason(.errorIpsecIkeAuthorizationFailure)))
        #expect(record.windowsXML.contains("<Data Name='FailureReason'>SA establishment is not authorized.</Data>"))
        #expect(record.event.message.contains("\tFailure Reason:\t\tSA establishment is not authorized.\r\n"))
        #expect(record.json["EventData"]?["FailureReason"] == "SA establishment is not authorized.")
        let syslog = String(decoding: try SyslogFormat().message(for: record), as: UTF8.self)
        #expect(syslog.contains(" FailureReason=\"SA establishment is not authorized.\""))
    }
}
