import AuthIPCrypto
import AuthIPJSON
import AuthIPKeySchedule
import AuthIPWire

/// Release-build benchmarks of the wire codec and the key schedule. Each figure is one JSON
/// object per line: {"name": ..., "value": ..., "unit": ...}.
@main
struct AuthIPBenchmark {
    /// How long each figure is measured for.
    static let measureTime = Duration.milliseconds(1500)

    /// `authip-bench [SECTION...]` runs only these sections: wire, crypto, trust, gss,
    /// directaccess, sadb, memory (all when none is named). `profile-engine` and `profile-floor` run
    /// only ECDSA tunnels, or only their floor, for 20 s: a steady load for `perf record`.
    static let sections = Set(CommandLine.arguments.dropFirst())

    static func wants(_ section: String) -> Bool { sections.isEmpty || sections.contains(section) }

    static func main() throws {
        if wants("wire") || wants("crypto") { try primitives() }
        if wants("trust") { try TrustBenchmark.run() }
        if wants("gss") { try AuthenticationBenchmark.run() }
        if wants("directaccess") { try DirectAccessBenchmark.run() }
        if wants("sadb") { SADatabaseBenchmark.run() }
        if wants("memory") { try DirectAccessBenchmark.memory() }
        if sections.contains("profile-engine") { try DirectAccessBenchmark.profile(floor: false) }
        if sections.contains("profile-floor") { try DirectAccessBenchmark.profile(floor: true) }
    }

    static func primitives() throws {
        let message = sampleMessage()
        let bytes = message.serialized()
        report("wire.message_bytes", Double(bytes.count), "bytes")
        report("wire.parse_per_s", rate { _ = try? Message(parsing: bytes) }, "messages/s")
        report("wire.serialize_per_s", rate { _ = message.serialized() }, "messages/s")

        let algorithms = MainModeAlgorithms(cipher: .aes256, hash: .sha256)
        var random = SeededRandomSource(seed: 7)
        let ni = random.bytes(32), nr = random.bytes(32), niQM = random.bytes(32), nrQM = random.bytes(32)
        let gssSecret = random.secret(32)
        let chains = (0..<4).map { _ in random.bytes(300) }
        report(
            "keyschedule.runs_per_s",
            rate {
                // One MM: SKEYID*, the Auth1/Auth2 chain over four messages, and the keys of
                // both QM SAs (AES-256 + SHA-1).
                let derivation = KeyDerivation(algorithms: algorithms, initiatorCookie: 1, responderCookie: 2)
                let keys = MainModeKeys(
                    derivation: derivation, z: .empty, initiatorNonce: ni, responderNonce: nr, gssSecret: gssSecret)
                var transcript = AuthenticationTranscript.mainMode(hash: .sha256)
                for chain in chains { transcript.append(chain) }
                _ = transcript.initiatorProof(skeyid: keys.skeyid)
                _ = transcript.responderProof(skeyid: keys.skeyid)
                for spi: UInt32 in [0x1000, 0x2000] {
                    _ = QuickModeKeys(
                        derivation: derivation, skeyidD: keys.skeyidD, messageID: 0, spi: spi,
                        initiatorNonce: niQM, responderNonce: nrQM, integrityKeyLength: 20, encryptionKeyLength: 32)
                }
            }, "runs/s")

        let keys = MainModeKeys(
            derivation: KeyDerivation(algorithms: algorithms, initiatorCookie: 1, responderCookie: 2),
            z: .empty, initiatorNonce: ni, responderNonce: nr, gssSecret: gssSecret)
        let protection = CryptoPayloadProtection(algorithms: algorithms, keys: keys, legacyICV: false)
        let inner = Array(message.payloads.dropFirst())
        let header = ISAKMPHeader(initiatorCookie: 1, responderCookie: 2, exchangeType: .mainMode)
        let sealed = try protection.seal(header: header, sequenceNumber: 2, payloads: inner, random: &random)
        report(
            "crypto_payload.seal_per_s",
            rate { _ = try? protection.seal(header: header, sequenceNumber: 2, payloads: inner, random: &random) },
            "messages/s")
        report("crypto_payload.open_per_s", rate { _ = try? protection.open(sealed) }, "messages/s")

        for group in [DiffieHellmanGroup.ecp256, .modp2048] {
            let peer = try DiffieHellmanKeyPair(group: group, random: &random)
            report(
                "dh.\(group).exchanges_per_s",
                rate {
                    // One side's work: a fresh key pair and the shared secret.
                    if let pair = try? DiffieHellmanKeyPair(group: group, random: &random) {
                        _ = try? pair.sharedSecret(peerPublicValue: peer.publicValue)
                    }
                }, "exchanges/s")
        }
    }

    /// Seconds in a Duration.
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Calls `body` repeatedly for `measureTime` and returns calls per second.
    static func rate(_ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        for _ in 0..<100 { body() }
        var calls = 0
        let start = clock.now
        var elapsed = Duration.zero
        while elapsed < measureTime {
            for _ in 0..<64 { body() }
            calls += 64
            elapsed = clock.now - start
        }
        return Double(Int(Double(calls) / seconds(elapsed)))
    }

    /// The rates of two operations measured in alternating blocks, so that a noisy neighbour
    /// slows both alike and their ratio holds.
    static func interleavedRates(_ first: () -> Void, _ second: () -> Void) -> (Double, Double) {
        let clock = ContinuousClock()
        for _ in 0..<50 {
            first()
            second()
        }
        var calls = 0
        var elapsed = (Duration.zero, Duration.zero)
        while elapsed.0 + elapsed.1 < measureTime * 2 {
            var start = clock.now
            for _ in 0..<16 { first() }
            elapsed.0 += clock.now - start
            start = clock.now
            for _ in 0..<16 { second() }
            elapsed.1 += clock.now - start
            calls += 16
        }
        return (Double(Int(Double(calls) / seconds(elapsed.0))), Double(Int(Double(calls) / seconds(elapsed.1))))
    }

    static func report(_ name: String, _ value: Double, _ unit: String) {
        print(
            JSONValue.object([("name", .string(name)), ("value", .double(value)), ("unit", .string(unit))]).compactText)
    }

    /// An MM #2-sized message: SA, Auth, two nonces, three Vendor IDs and a GSS_ID.
    static func sampleMessage() -> Message {
        Message(
            header: ISAKMPHeader(
                initiatorCookie: 0x0102030405060708, responderCookie: 0x1112131415161718, exchangeType: .mainMode),
            payloads: [
                .crypto(CryptoPayload(sequenceNumber: 0)),
                .securityAssociation(
                    SecurityAssociationPayload(proposals: [
                        Proposal(
                            number: 1, protocolID: .isakmp,
                            transforms: [
                                Transform(
                                    number: 1, transformID: Transform.keyIKE,
                                    attributes: [
                                        .basic(MainModeAttribute.encryptionAlgorithm, 7),
                                        .basic(MainModeAttribute.keyLength, 256),
                                        .basic(MainModeAttribute.hashAlgorithm, 4),
                                        .basic(MainModeAttribute.groupDescription, 0),
                                        .basic(MainModeAttribute.lifeType, 1),
                                        TransformAttribute(
                                            type: MainModeAttribute.lifeDuration, value: .variable([0, 0, 0x70, 0x80])),
                                    ])
                            ])
                    ])),
                .auth(AuthPayload(methods: [.tls])),
                .nonce(NoncePayload(data: [UInt8](repeating: 0x5A, count: 32))),
                .nonce(NoncePayload(data: [UInt8](repeating: 0xA5, count: 32))),
                .vendorID(VendorIDPayload(.microsoftWindows(version: 9))),
                .vendorID(VendorIDPayload(.fragmentation)),
                .vendorID(VendorIDPayload(.negotiationDiscovery)),
                .gssIdentity(GSSIdentityPayload(principalName: "DASERVER$@CORP.CONTOSO.COM")),
            ])
    }
}
