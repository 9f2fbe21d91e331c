import AuthIPCrypto
import AuthIPJSON
import AuthIPKeySchedule
import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

@Suite("Wire vectors of the MM, QM, EM and Notify flows")
struct FlowVectorTests {
    /// Set AUTHIP_WRITE_VECTORS=1 to rewrite TestVectors/wire/flows.json from the catalog.
    @Test("The committed flow vectors are the catalog's")
    func committedMatchesCatalog() throws {
        let catalog = try FlowCatalog().json
        if ProcessInfo.processInfo.environment["AUTHIP_WRITE_VECTORS"] == "1" {
            try (catalog.prettyText + "\n").write(
                to: TestVectors.directory.appendingPathComponent("wire/flows.json"), atomically: true, encoding: .utf8)
        }
        #expect(try TestVectors.load("wire/flows.json") == catalog)
    }

    @Test("Every flow message parses, round-trips, decodes as recorded, and the encrypted ones open")
    func flows() throws {
        let file = try TestVectors.load("wire/flows.json")
        let keys = try #require(file["keys"])
        let algorithms = MainModeAlgorithms(
            cipher: try #require(BlockCipher(rawValue: try keys.string("cipher"))),
            hash: try #require(HashAlgorithm(rawValue: try keys.string("hash"))))
        let protection = CryptoPayloadProtection(
            algorithms: algorithms, encryptionKey: SecretBytes(try keys.hex("encryptionKey")),
            integrityKey: SecretBytes(try keys.hex("skeyidA")), legacyICV: false)
        let vectors = file["vectors"]?.arrayValue ?? []
        var flows = Set<String>()
        for v in vectors {
            flows.insert(try v.string("flow"))
            let bytes = try v.hex("hex")
            let message = try Message(parsing: bytes)
            #expect(message.serialized() == bytes, "\(v.name)")
            #expect(message.json == v["decoded"], "\(v.name)")
            guard v["plaintext"] != nil else {
                #expect(!message.header.flags.contains(.encrypted))
                continue
            }
            let opened = try protection.open(bytes)
            #expect(opened.plaintextChain == (try v.hex("plaintext")), "\(v.name)")
            #expect(.array(opened.payloads.map(\.json)) == v["inner"], "\(v.name)")
            #expect(
                try protection.seal(
                    header: opened.header, sequenceNumber: opened.sequenceNumber, iv: try v.hex("iv"),
                    payloads: opened.payloads) == bytes, "\(v.name)")
        }
        #expect(
            flows == [
                "main-mode", "quick-mode-synchronize", "extended-mode", "quick-mode-rekey", "notify",
                "main-mode-ntlm-dh",
            ])
        #expect(vectors.count == 24)
    }

    @Test("Auth1 and Auth2 in MM #5/#6 and Auth3/Auth4 in EM verify against the transcripts")
    func proofsVerify() throws {
        let file = try TestVectors.load("wire/flows.json")
        let keys = try #require(file["keys"])
        let vectors = file["vectors"]?.arrayValue ?? []
        var transcript = AuthenticationTranscript.mainMode(hash: .sha256)
        for v in vectors where (try? v.string("flow")) == "main-mode" && v["plaintext"] == nil {
            transcript.append(PayloadChain.serialize(try Message(parsing: try v.hex("hex")).clearPayloads).bytes)
        }
        #expect(transcript.messageCount == 4)
        let skeyid = SecretBytes(try keys.hex("skeyid"))
        let auth1 = transcript.initiatorProof(skeyid: skeyid)
        #expect(auth1 == (try keys.hex("auth1")))
        var em = AuthenticationTranscript.extendedMode(hash: .sha256)
        for v in vectors where (try? v.string("flow")) == "extended-mode" {
            let step = try v.string("step")
            if step != "#13" && step != "#14" { em.append(try v.hex("plaintext")) }
        }
        #expect(em.messageCount == 6)
        let auth3 = em.extendedInitiatorProof(skeyidEM: SecretBytes(try keys.hex("skeyidEM")), auth1: auth1)
        #expect(auth3 == (try keys.hex("auth3")))
        // #5 carries Auth1 in its first inner payload, EM #13 carries Auth3.
        let first = try #require(vectors.first { $0.name == "main-mode #5" })
        #expect(first["inner"]?.arrayValue?.first?["data"]?.stringValue == Hex.encode(auth1))
        let final = try #require(vectors.first { $0.name == "extended-mode #13" })
        #expect(final["inner"]?.arrayValue?.first?["data"]?.stringValue == Hex.encode(auth3))
    }
}
