import AuthIPAudit
import Testing

/// The encodings of ipsec-events.md section 4, one at a time.
@Suite("Value encodings")
struct ValueEncodingTests {
    @Test("An unknown or empty principal name, address or certificate is written as -")
    func unknownIsDash() throws {
        let nameless = Fixtures.mainModeFailed(local: nil, remote: "")
        #expect(Fixtures.value("LocalMMPrincipalName", of: nameless) == "-")
        #expect(Fixtures.value("RemoteMMPrincipalName", of: nameless) == "-")
        let named = Fixtures.mainModeFailed(local: "CORP\\DA1$", remote: "CORP\\CLIENT1$")
        #expect(Fixtures.value("LocalMMPrincipalName", of: named) == "CORP\\DA1$")

        let packet = AuditEvent.invalidExtendedModePacket(
            InvalidNegotiationPacket(localAddress: nil, remoteAddress: Fixtures.client, keyingModule: .authIP))
        #expect(Fixtures.value("LocalAddress", of: packet) == "-")

        let certificateless = AuditEvent.extendedModeFailedWithCertificates(
            ExtendedModeFailedWithCertificates(
                local: NegotiationPeer(principalName: nil, address: Fixtures.server, keyingModulePort: 500),
                localCertificate: nil,
                remote: NegotiationPeer(principalName: nil, address: Fixtures.client, keyingModulePort: 500),
                remoteCertificate: try CertificateSummary(
                    thumbprint: Array(repeating: 0x0A, count: 20), issuingCA: "", rootCA: "R"),
                failure: NegotiationFailure(point: .remoteComputer, reason: FailureReason(.errorIpsecIkeTimedOut)),
                state: .noState,
                role: .initiator, impersonation: .notEnabled, quickModeFilterID: 1))
        for field in [
            "LocalEMPrincipalName", "LocalEMCertHash", "LocalEMIssuingCA", "LocalEMRootCA", "RemoteEMIssuingCA",
        ] {
            #expect(Fixtures.value(field, of: certificateless) == "-", "\(field)")
        }
        #expect(Fixtures.value("RemoteEMCertHash", of: certificateless) == "0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A")
        #expect(Fixtures.value("RemoteEMRootCA", of: certificateless) == "R")
    }

    @Test(
        "Cookies are 16 lower-case hex digits with leading zeros and no 0x",
        arguments: [
            (UInt64(0xDB55_D376_7E51_B422), "db55d3767e51b422"),
            (0, "0000000000000000"),
            (0xFF, "00000000000000ff"),
            (0x0123_4567_89AB_CDEF, "0123456789abcdef"),
            (UInt64.max, "ffffffffffffffff"),
        ])
    func cookies(_ cookie: UInt64, _ text: String) throws {
        let event = Fixtures.mainModeFailed(initiatorCookie: cookie, responderCookie: cookie)
        #expect(Fixtures.value("InitiatorCookie", of: event) == text)
        #expect(Fixtures.value("ResponderCookie", of: event) == text)
        #expect(try Fixtures.record(event).windowsXML.contains("<Data Name='InitiatorCookie'>\(text)</Data>"))
    }

    @Test(
        "TimeCreated has 100-ns precision: seven fractional digits, then 00",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00.000000000Z"),
            (1_710_408_414_123_456_789, "2024-03-14T09:26:54.123456700Z"),
            (1_710_408_414_000_000_099, "2024-03-14T09:26:54.000000000Z"),
            (1_710_408_414_000_000_100, "2024-03-14T09:26:54.000000100Z"),
            (1_709_251_199_999_999_999, "2024-02-29T23:59:59.999999900Z"),
            (946_684_799_500_000_000, "1999-12-31T23:59:59.500000000Z"),
            (2_147_483_648_000_000_000, "2038-01-19T03:14:08.000000000Z"),
            (-1, "1969-12-31T23:59:59.999999900Z"),
        ])
    func timeCreated(_ nanoseconds: Int64, _ text: String) {
        #expect(AuditTime(nanosecondsSinceUnixEpoch: nanoseconds).systemTime == text)
    }

    @Test("Syslog timestamps carry the same instant to the microsecond")
    func rfc3339() {
        #expect(
            AuditTime(nanosecondsSinceUnixEpoch: 1_710_408_414_123_456_789).rfc3339Microseconds
                == "2024-03-14T09:26:54.123456Z")
        #expect(AuditTime(nanosecondsSinceUnixEpoch: -1).rfc3339Microseconds == "1969-12-31T23:59:59.999999Z")
    }

    @Test("Times order by their ticks")
    func timesOrder() {
        #expect(AuditTime(nanosecondsSinceUnixEpoch: 100) < AuditTime(nanosecondsSinceUnixEpoch: 200))
        #expect(AuditTime(nanosecondsSinceUnixEpoch: 101) == AuditTime(nanosecondsSinceUnixEpoch: 199))
    }

    @Test(
        "Addresses print as RtlIpv4/Ipv6AddressToString does",
        arguments: [
            ("836b0002", "131.107.0.2"),
            ("00000000", "0.0.0.0"),
            ("00000000000000000000000000000000", "::"),
            ("00000000000000000000000000000001", "::1"),
            ("0000000000000000000000009d388a1e", "::157.56.138.30"),
            ("00000000000000000000ffff9c38884b", "::ffff:156.56.136.75"),
            ("0000000000000000ffff00000a000001", "::ffff:0:10.0.0.1"),
            ("ff010000000000000000000000000000", "ff01::"),
            ("ff020000000000000000000000000002", "ff02::2"),
            ("00000001000200030004000500060007", "0:1:2:3:4:5:6:7"),
            ("2002836b0002000000000000836b0002", "2002:836b:2::836b:2"),
            ("20010000836b00028000f227bcf4fe9a", "2001:0:836b:2:8000:f227:bcf4:fe9a"),
            ("20010db8000000010000000000000001", "2001:db8:0:1::1"),
            ("20010db8000000000001000000000001", "2001:db8::1:0:0:1"),
            ("2002836b0002800000005efe0a000005", "2002:836b:2:8000:0:5efe:10.0.0.5"),
            ("fe8000000000000002005efec0a80001", "fe80::200:5efe:192.168.0.1"),
            ("fe8000000000000000005efe0a000002", "fe80::5efe:10.0.0.2"),
        ])
    func addresses(_ hex: String, _ text: String) throws {
        let bytes = try #require(Self.bytes(hex))
        #expect(try AuditAddress(bytes: bytes).description == text)
    }

    @Test("The numeric initialisers give the same addresses as the bytes")
    func numericAddresses() {
        #expect(AuditAddress(ipv4: 0x836B_0002).description == "131.107.0.2")
        #expect(Fixtures.server.description == "2002:836b:2::836b:2")
    }

    @Test("64-bit IDs are decimal, not hex")
    func idsAreDecimal() {
        let ended = AuditEvent.mainModeEnded(
            MainModeEnded(
                localAddress: Fixtures.server, remoteAddress: Fixtures.client, keyingModule: .authIP,
                saID: 0xDEAD_BEEF_0000_0001))
        #expect(Fixtures.value("MMSAID", of: ended) == "16045690981097406465")
    }

    static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).compactMap {
            UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)
        }
    }
}
