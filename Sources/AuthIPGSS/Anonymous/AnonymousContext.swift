import AuthIPCrypto
import AuthIPWire
import Foundation

/// Anonymous (method 3, MM only): one empty token each way, no peer name, no session key;
/// the MM keys then rest on the DH secret alone.
public struct AnonymousContext: GSSContext {
    public let method = AuthMethod.anonymous
    public let role: GSSRole
    public private(set) var isComplete = false
    public var peerName: String? { nil }
    public var sessionKey: SecretBytes? { nil }

    public init(role: GSSRole) { self.role = role }

    public mutating func step<R: RandomSource>(
        _ token: [UInt8], now: Date, random: inout R
    ) throws(GSSFailure) -> GSSStep {
        guard token.isEmpty else { throw GSSFailure(.secEInvalidToken, "an Anonymous token is empty") }
        guard !isComplete else { throw GSSFailure(.secEInvalidToken, "the Anonymous exchange is already complete") }
        isComplete = true
        return .token([])
    }
}
