/// An enumerated field value that Windows stores as a `%%NNNN` reference to an msobjs.dll
/// string; the raw value is the message ID.
public protocol AuditParameter: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == UInt32 {}

extension AuditParameter {
    /// The msobjs.dll text Event Viewer shows for this value.
    public var displayText: String { AuditValue.parameter(rawValue).displayText }
}

/// The keying module that negotiated (`KeyModName`, `KeyingModuleName`).
public enum KeyingModule: UInt32, AuditParameter {
    case ikev1 = 8222
    case authIP = 8223
    case ikev2 = 8244
}

/// Which side detected or caused a failure.
public enum FailurePoint: UInt32, AuditParameter {
    case localComputer = 8199
    case remoteComputer = 8200
}

/// The main mode or extended mode authentication method; `unknown` before one is agreed.
public enum AuthenticationMethod: UInt32, AuditParameter {
    case kerberos = 8192
    case presharedKey = 8193
    case unknown = 8194
    case anonymous = 8224
    case ntlmV2 = 8225
    case cga = 8226
    case certificate = 8227
    case ssl = 8228
    case none = 8229
    case certificateECDSAP256 = 8238
    case certificateECDSAP384 = 8239
    case sslECDSAP256 = 8240
    case sslECDSAP384 = 8241
    case eap = 8247
}

/// How far a main mode negotiation got before it failed.
public enum MainModeState: UInt32, AuditParameter {
    case noState = 8201
    case sentFirstPayload = 8202
    case sentSecondPayload = 8203
    case sentThirdPayload = 8204
    case eapPayloadSent = 8245
    case authenticationPayloadSent = 8246
}

/// How far a quick mode negotiation got before it failed.
public enum QuickModeState: UInt32, AuditParameter {
    case noState = 8207
    case sentFirstPayload = 8208
    case sentFinalPayload = 8209
    case complete = 8210
}

/// How far an extended mode negotiation got before it failed.
public enum ExtendedModeState: UInt32, AuditParameter {
    case noState = 8218
    case sentFirstPayload = 8219
    case sentSecondPayload = 8220
    case sentThirdPayload = 8221
}

/// Whether this computer initiated the negotiation or answered it.
public enum NegotiationRole: UInt32, AuditParameter {
    case initiator = 8205
    case responder = 8206
}

/// Whether the negotiation ran as the socket's security principal.
public enum ImpersonationState: UInt32, AuditParameter {
    case enabled = 8216
    case notEnabled = 8217
}

/// A cipher with an msobjs.dll string (GCM ciphers have none).
public enum CipherAlgorithm: UInt32, AuditParameter {
    case none = 8229
    case des = 8195
    case tripleDES = 8196
    case aes128 = 8235
    case aes192 = 8236
    case aes256 = 8237
}

/// An integrity (hash) algorithm, for main mode and for AH/ESP.
public enum IntegrityAlgorithm: UInt32, AuditParameter {
    case none = 8229
    case md5 = 8197
    case sha1 = 8198
    case sha256 = 8242
    case sha384 = 8243
}

/// The Diffie-Hellman group of a main mode, as the events encode it.
public enum DiffieHellmanGroupParameter: UInt32, AuditParameter {
    case none = 8229
    case group1 = 8230
    case group2 = 8231
    case group14 = 8232
    case ecp256 = 8233
    case ecp384 = 8234
    case group24 = 8248
}

/// The IPsec encapsulation of a quick mode.
public enum IPsecMode: UInt32, AuditParameter {
    case unknown = 8211
    case transport = 8212
    case tunnel = 8213
}

/// The DoS-prevention change that event 4646 reports.
public enum DoSPreventionNotification: UInt32, AuditParameter {
    case started = 8214
    case stopped = 8215
}
