import AuthIPCrypto
import AuthIPErrors
import AuthIPGSS
import Foundation
import Testing

/// Malformed NTLM messages give SEC_E_INVALID_TOKEN (or another refusal), never a trap:
/// every prefix and every single-byte change of real messages, and random bytes.
@Suite("NTLM parser robustness")
struct NTLMParserRobustnessTests {
    /// The variants of `message` with one byte changed: each bit flipped, and set to 0x00 and
    /// 0xFF where that changes it.
    static func mutations(of message: [UInt8]) -> [[UInt8]] {
        var variants: [[UInt8]] = []
        for index in message.indices {
            let original = message[index]
            let values = (0..<8).map { original ^ (1 << $0) } + [0x00, 0xFF].filter { $0 != original }
            for value in values {
                var variant = message
                variant[index] = value
                variants.append(variant)
            }
        }
        return variants
    }

    @Test func everyPrefixOfAnAuthenticateMessageIsAnInvalidToken() throws {
        let exchange = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor())
        #expect(exchange.failure == nil)
        for length in 0..<exchange.authenticate.count {
            var acceptor = exchange.acceptorAwaitingAuthenticate
            var random = SeededRandomSource(seed: 0)
            let error = #expect(throws: GSSFailure.self) {
                try acceptor.step(Array(exchange.authenticate.prefix(length)), now: NTLMFixture.now, random: &random)
            }
            #expect(error?.status == .secEInvalidToken, "prefix of \(length) bytes")
            #expect(!acceptor.isComplete)
        }
    }

    /// The MIC covers every byte of the AUTHENTICATE_MESSAGE (and NTProofStr the response), so
    /// no single-byte change may be accepted.
    @Test func everySingleByteChangeOfAnAuthenticateMessageIsRefused() throws {
        let exchange = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor())
        var refusals: [WindowsError: Int] = [:]
        for variant in Self.mutations(of: exchange.authenticate) {
            var acceptor = exchange.acceptorAwaitingAuthenticate
            var random = SeededRandomSource(seed: 0)
            do {
                _ = try acceptor.step(variant, now: NTLMFixture.now, random: &random).token
                Issue.record("a changed AUTHENTICATE_MESSAGE was accepted: \(variant)")
            } catch {
                refusals[error.status, default: 0] += 1
            }
        }
        #expect(Set(refusals.keys).isSubset(of: [.secEInvalidToken, .secELogonDenied]))
        #expect(refusals[.secEInvalidToken, default: 0] > 0)
    }

    @Test func prefixesAndChangesOfNegotiateAndChallengeNeverTrap() throws {
        let exchange = try NTLMExchange(initiator: NTLMFixture.initiator(), acceptor: NTLMFixture.acceptor())
        let negotiates =
            (0..<exchange.negotiate.count).map { Array(exchange.negotiate.prefix($0)) }
            + Self.mutations(of: exchange.negotiate)
        for variant in negotiates {
            var acceptor = try NTLMFixture.acceptor()
            var random = SeededRandomSource(seed: 0)
            _ = try? acceptor.step(variant, now: NTLMFixture.now, random: &random).token
        }
        for length in 0..<exchange.challenge.count {
            var initiator = NTLMFixture.initiator()
            var random = SeededRandomSource(seed: 0)
            _ = try initiator.step([], now: NTLMFixture.now, random: &random).token
            let error = #expect(throws: GSSFailure.self) {
                try initiator.step(Array(exchange.challenge.prefix(length)), now: NTLMFixture.now, random: &random)
            }
            #expect(error?.status == .secEInvalidToken, "CHALLENGE prefix of \(length) bytes")
        }
        for variant in Self.mutations(of: exchange.challenge) {
            var initiator = NTLMFixture.initiator()
            var random = SeededRandomSource(seed: 0)
            _ = try initiator.step([], now: NTLMFixture.now, random: &random).token
            _ = try? initiator.step(variant, now: NTLMFixture.now, random: &random).token
        }
    }

    @Test func randomBytesNeverTrapAParser() {
        var random = SeededRandomSource(seed: 0x4E54_4C4D)
        for round in 0..<2000 {
            let length = Int(random.next() % 200)
            var bytes = random.bytes(length)
            // Half the inputs start like a real message, so that the field checks are reached.
            if round % 2 == 0 && length >= 12 {
                bytes.replaceSubrange(0..<12, with: Array("NTLMSSP\0".utf8) + [UInt8(1 + round % 3), 0, 0, 0])
            }
            _ = try? NTLMNegotiateMessage(parsing: bytes)
            _ = try? NTLMChallengeMessage(parsing: bytes)
            _ = try? NTLMAuthenticateMessage(parsing: bytes)
            _ = try? NTLMTargetInfo(parsing: bytes)
            _ = try? NTLMv2ClientChallenge(parsing: bytes)
        }
    }
}
