import AuthIPCrypto
import AuthIPGSS

/// Everything an `Endpoint` needs: its name, its rules (in order: the first match wins), the
/// principal name it announces in GSS_ID, and its protocol settings.
public struct EndpointConfiguration: Sendable {
    /// The computer's name; audit records carry it.
    public var computerName: String
    /// The SPN a responder sends in GSS_ID (`host/daserver.da.test@DA.TEST`).
    public var principalName: String
    public var rules: [ConnectionSecurityRule]
    public var settings: EndpointSettings
    /// The accounts authorization checks: enabled, group membership, smart-card policy.
    public var directory: (any AccountDirectory)?

    public init(computerName: String, principalName: String, rules: [ConnectionSecurityRule],
                settings: EndpointSettings = EndpointSettings(), directory: (any AccountDirectory)? = nil) {
        self.computerName = computerName
        self.principalName = principalName
        self.rules = rules
        self.settings = settings
        self.directory = directory
    }
}
