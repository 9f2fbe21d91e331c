import AuthIPAccounts
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
    /// When set, authorization asks the driver for accounts (`lookUpAccount`) instead of
    /// reading `directory`: a directory such as Active Directory that must not be queried on
    /// the negotiation's thread.
    public var remoteDirectory: RemoteDirectoryPolicy?

    public init(
        computerName: String, principalName: String, rules: [ConnectionSecurityRule],
        settings: EndpointSettings = EndpointSettings(), directory: (any AccountDirectory)? = nil,
        remoteDirectory: RemoteDirectoryPolicy? = nil
    ) {
        self.computerName = computerName
        self.principalName = principalName
        self.rules = rules
        self.settings = settings
        self.directory = directory
        self.remoteDirectory = remoteDirectory
    }
}

/// How an endpoint uses a remote account directory.
public struct RemoteDirectoryPolicy: Hashable, Sendable {
    /// How long an answer is used before the account is asked for again. A change to the
    /// block list drops every answer at once.
    public var cacheLifetime: Duration
    /// How long a negotiation waits for an answer; no answer refuses it with
    /// SEC_E_NO_AUTHENTICATING_AUTHORITY, as Windows does when no domain controller answers.
    public var timeout: Duration

    public init(cacheLifetime: Duration = .seconds(60), timeout: Duration = .seconds(10)) {
        self.cacheLifetime = cacheLifetime
        self.timeout = timeout
    }
}
