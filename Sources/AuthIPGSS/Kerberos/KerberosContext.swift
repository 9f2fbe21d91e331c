import AuthIPCrypto
import AuthIPErrors
import AuthIPWire
import CGSSAPI
import Foundation

/// Kerberos (method 2) through MIT's GSS-API: RFC 1964 tokens, mutual authentication,
/// confidentiality and integrity requested. The session key (GSS-APIsecret) is the context key
/// SSPI would report, `GSS_C_INQ_SSPI_SESSION_KEY`; the acceptor learns the client principal
/// and the ticket's authentication indicators (a PKINIT logon carries `pkinit`, a FAST
/// password logon `fast-password`).
///
/// The Kerberos library reads its configuration (`KRB5_CONFIG`) and the clock itself: that is
/// the KDC's protocol, outside the engine's inputs.
public final class KerberosContext: GSSContext {
    public let method = AuthMethod.kerberos
    public let role: GSSRole
    public private(set) var isComplete = false
    public private(set) var peerName: String?
    public private(set) var sessionKey: SecretBytes?
    /// The client ticket's authentication indicators (acceptor only).
    public private(set) var authenticationIndicators: [String] = []
    /// The SIDs of the client and its groups from the ticket's PAC, nested groups resolved by
    /// the KDC (acceptor only; empty when the ticket has no PAC, as MIT's own KDC issues them).
    public private(set) var groupSIDs: [String] = []

    private var credential: gss_cred_id_t?
    /// The MEMORY cache of a password logon, destroyed with the context.
    private var logonCache: String?
    /// For the tests of this package: the name of that cache.
    package var logonCacheName: String? { logonCache }
    private var context: gss_ctx_id_t?
    private var target: gss_name_t?
    private var failed = false

    /// An initiator for the service principal `target` (`host/daserver.da.test@DA.TEST`).
    public init(initiator credentials: KerberosCredentials, target: String) throws(GSSFailure) {
        role = .initiator
        self.target = try Self.importName(target)
        (credential, logonCache) = try Self.acquire(credentials, usage: gss_cred_usage_t(GSS_C_INITIATE))
        peerName = target
    }

    /// An acceptor with the keys of `credentials` (a keytab).
    public init(acceptor credentials: KerberosCredentials) throws(GSSFailure) {
        role = .acceptor
        (credential, logonCache) = try Self.acquire(credentials, usage: gss_cred_usage_t(GSS_C_ACCEPT))
    }

    deinit {
        var minor: OM_uint32 = 0
        if context != nil { gss_delete_sec_context(&minor, &context, nil) }
        if credential != nil { gss_release_cred(&minor, &credential) }
        if target != nil { gss_release_name(&minor, &target) }
        if let logonCache { PasswordLogon.destroy(logonCache) }
    }

    public func step<R: RandomSource>(_ token: [UInt8], now: Date, random: inout R) throws(GSSFailure) -> GSSStep {
        guard !failed, !isComplete else {
            throw GSSFailure(.secEInvalidToken, "the Kerberos exchange is not expecting a token")
        }
        if role == .acceptor, token.isEmpty {
            throw fail(.secEInvalidToken, "the acceptor needs the initiator's token")
        }
        var minor: OM_uint32 = 0
        var output = gss_buffer_desc()
        var source: gss_name_t?
        let major: OM_uint32 = token.withUnsafeBytes { raw in
            var input = gss_buffer_desc(length: raw.count, value: UnsafeMutableRawPointer(mutating: raw.baseAddress))
            let inputPointer: gss_buffer_t? = token.isEmpty ? nil : withUnsafeMutablePointer(to: &input) { $0 }
            if role == .initiator {
                let flags = OM_uint32(GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG)
                return gss_init_sec_context(
                    &minor, credential, &context, target, authip_gss_mech_krb5(), flags, 0,
                    nil, inputPointer, nil, &output, nil, nil)
            }
            return gss_accept_sec_context(
                &minor, &context, credential, inputPointer, nil, &source, nil, &output, nil, nil, nil)
        }
        defer {
            var releaseMinor: OM_uint32 = 0
            gss_release_buffer(&releaseMinor, &output)
            if source != nil { gss_release_name(&releaseMinor, &source) }
        }
        if authip_gss_error(major) != 0 {
            throw fail(Self.status(major: major, minor: minor), Self.describe(major: major, minor: minor))
        }
        let reply = output.length > 0 ? Array(UnsafeRawBufferPointer(start: output.value, count: output.length)) : []
        if major == OM_uint32(GSS_S_COMPLETE) {
            if let source {
                peerName = Self.display(source)
                authenticationIndicators = Self.attribute("auth-indicators", of: source).map {
                    String(decoding: $0, as: UTF8.self)
                }
                groupSIDs =
                    Self.attribute("urn:mspac:logon-info", of: source).first.flatMap {
                        try? KerberosLogonInfo(ndr: $0)
                    }?.sids ?? []
            }
            sessionKey = try sessionKeyOfContext()
            isComplete = true
        }
        return .token(reply)
    }

    private func fail(_ status: WindowsError, _ detail: String) -> GSSFailure {
        failed = true
        return GSSFailure(status, detail)
    }

    private func sessionKeyOfContext() throws(GSSFailure) -> SecretBytes {
        var minor: OM_uint32 = 0
        var set: gss_buffer_set_t?
        let major = gss_inquire_sec_context_by_oid(&minor, context, authip_gss_inq_sspi_session_key(), &set)
        defer { gss_release_buffer_set(&minor, &set) }
        guard major == OM_uint32(GSS_S_COMPLETE), let set, set.pointee.count > 0 else {
            throw fail(.secEInternalError, "no session key: \(Self.describe(major: major, minor: minor))")
        }
        let key = set.pointee.elements[0]
        return SecretBytes(UnsafeRawBufferPointer(start: key.value, count: key.length))
    }

    /// The credential, and the logon cache it lives in when a password logon made one.
    private static func acquire(
        _ credentials: KerberosCredentials, usage: gss_cred_usage_t
    ) throws(GSSFailure)
        -> (gss_cred_id_t?, String?)
    {
        var minor: OM_uint32 = 0
        var credential: gss_cred_id_t?
        var mechanisms = gss_OID_set_desc(count: 1, elements: authip_gss_mech_krb5())
        let major: OM_uint32
        var logonCache: String?
        switch credentials {
        case .password(let principal, let password):
            let cache = try PasswordLogon.memoryCache(principal: principal, password: password)
            logonCache = cache
            major = withStore(("ccache", cache)) { store in
                gss_acquire_cred_from(&minor, nil, 0, &mechanisms, usage, store, &credential, nil, nil)
            }
        case .cache(let cache):
            major = withStore(cache.map { ("ccache", $0) }) { store in
                gss_acquire_cred_from(&minor, nil, 0, &mechanisms, usage, store, &credential, nil, nil)
            }
        case .keytab(let keytab):
            major = withStore(("keytab", keytab)) { store in
                gss_acquire_cred_from(&minor, nil, 0, &mechanisms, usage, store, &credential, nil, nil)
            }
        }
        guard authip_gss_error(major) == 0 else {
            if let logonCache { PasswordLogon.destroy(logonCache) }
            throw GSSFailure(status(major: major, minor: minor), describe(major: major, minor: minor))
        }
        return (credential, logonCache)
    }

    private static func withStore(
        _ entry: (String, String)?, _ body: (gss_const_key_value_set_t?) -> OM_uint32
    ) -> OM_uint32 {
        guard let (key, value) = entry else { return body(nil) }
        return key.withCString { keyPointer in
            value.withCString { valuePointer in
                var element = gss_key_value_element_desc(key: keyPointer, value: valuePointer)
                return withUnsafeMutablePointer(to: &element) { elementPointer in
                    var set = gss_key_value_set_desc(count: 1, elements: elementPointer)
                    return body(&set)
                }
            }
        }
    }

    private static func importName(_ principal: String) throws(GSSFailure) -> gss_name_t? {
        var minor: OM_uint32 = 0
        var name: gss_name_t?
        var bytes = Array(principal.utf8)
        let major = bytes.withUnsafeMutableBytes { raw in
            var buffer = gss_buffer_desc(length: raw.count, value: raw.baseAddress)
            return gss_import_name(&minor, &buffer, authip_gss_nt_krb5_principal(), &name)
        }
        guard authip_gss_error(major) == 0 else {
            throw GSSFailure(.secETargetUnknown, "bad principal name \(principal)")
        }
        return name
    }

    private static func display(_ name: gss_name_t) -> String {
        var minor: OM_uint32 = 0
        var buffer = gss_buffer_desc()
        guard gss_display_name(&minor, name, &buffer, nil) == OM_uint32(GSS_S_COMPLETE) else { return "" }
        defer { gss_release_buffer(&minor, &buffer) }
        return String(decoding: UnsafeRawBufferPointer(start: buffer.value, count: buffer.length), as: UTF8.self)
    }

    /// The authenticated values of a name attribute (RFC 6680).
    private static func attribute(_ attribute: String, of name: gss_name_t) -> [[UInt8]] {
        var minor: OM_uint32 = 0
        var attribute = Array(attribute.utf8)
        var values: [[UInt8]] = []
        var more: Int32 = -1
        while more != 0 {
            var authenticated: Int32 = 0, complete: Int32 = 0
            var value = gss_buffer_desc(), shown = gss_buffer_desc()
            let major = attribute.withUnsafeMutableBytes { raw in
                var attributeBuffer = gss_buffer_desc(length: raw.count, value: raw.baseAddress)
                return gss_get_name_attribute(
                    &minor, name, &attributeBuffer, &authenticated, &complete, &value, &shown, &more)
            }
            guard major == OM_uint32(GSS_S_COMPLETE) else { break }
            if authenticated != 0 {
                values.append(Array(UnsafeRawBufferPointer(start: value.value, count: value.length)))
            }
            gss_release_buffer(&minor, &value)
            gss_release_buffer(&minor, &shown)
        }
        return values
    }

    /// The SSPI status Windows' Kerberos package reports for a GSS failure.
    static func status(major: OM_uint32, minor: OM_uint32) -> WindowsError {
        switch Int32(bitPattern: minor) {
        case Int32(truncatingIfNeeded: KRB5KRB_AP_ERR_SKEW): return .secETimeSkew
        case Int32(truncatingIfNeeded: KRB5KDC_ERR_CLIENT_REVOKED),
            Int32(truncatingIfNeeded: KRB5KDC_ERR_PREAUTH_FAILED),
            Int32(truncatingIfNeeded: KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN), Int32(truncatingIfNeeded: KRB5KDC_ERR_POLICY),
            Int32(truncatingIfNeeded: KRB5KDC_ERR_KEY_EXP):
            return .secELogonDenied
        case Int32(truncatingIfNeeded: KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN): return .secETargetUnknown
        case Int32(truncatingIfNeeded: KRB5KRB_AP_WRONG_PRINC), Int32(truncatingIfNeeded: KRB5_KT_NOTFOUND),
            Int32(truncatingIfNeeded: KRB5KRB_AP_ERR_MODIFIED), Int32(truncatingIfNeeded: KRB5KRB_AP_ERR_NOT_US):
            return .secEWrongPrincipal
        case Int32(truncatingIfNeeded: KRB5KRB_AP_ERR_TKT_EXPIRED): return .secEContextExpired
        case Int32(truncatingIfNeeded: KRB5_FCC_NOFILE), Int32(truncatingIfNeeded: KRB5_CC_NOTFOUND):
            return .secENoCredentials
        case Int32(truncatingIfNeeded: KRB5_KDC_UNREACH): return .secENoAuthenticatingAuthority
        default: break
        }
        switch authip_gss_routine_error(major) {
        case authip_gss_s_no_cred(): return .secENoCredentials
        case authip_gss_s_defective_token(), authip_gss_s_bad_sig(), authip_gss_s_bad_mech(): return .secEInvalidToken
        case authip_gss_s_credentials_expired(), authip_gss_s_context_expired(): return .secEContextExpired
        default: return .secELogonDenied
        }
    }

    static func describe(major: OM_uint32, minor: OM_uint32) -> String {
        func text(_ code: OM_uint32, _ type: Int32) -> String {
            var status: OM_uint32 = 0
            var messageContext: OM_uint32 = 0
            var buffer = gss_buffer_desc()
            _ = gss_display_status(&status, code, type, authip_gss_mech_krb5(), &messageContext, &buffer)
            defer { gss_release_buffer(&status, &buffer) }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.value, count: buffer.length), as: UTF8.self)
        }
        return "\(text(major, GSS_C_GSS_CODE)): \(text(minor, GSS_C_MECH_CODE)) (minor \(Int32(bitPattern: minor)))"
    }
}
