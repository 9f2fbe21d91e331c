import CLDAP
import Foundation

/// Why talking to the directory failed; the text is libldap's.
struct LDAPError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32
    var description: String { "\(operation): \(String(cString: ldap_err2string(code))) (\(code))" }
}

/// One LDAP session: over TLS (LDAPS or StartTLS) bound with a simple bind, or plain and
/// anonymous; what a look-up opens and closes. All its steps share one deadline; each gets
/// the time that remains.
final class LDAPConnection {
    private let handle: OpaquePointer
    private let deadline: ContinuousClock.Instant

    /// Connects, secures and binds; refuses to bind on a connection that is not encrypted.
    /// No message from the server may be larger than `maximumMessage` bytes.
    init(configuration: LDAPDirectoryConfiguration, timeout: Duration, maximumMessage: Int? = nil) throws(LDAPError) {
        deadline = ContinuousClock.now + timeout
        let scheme = configuration.security == .ldaps ? "ldaps://" : "ldap://"
        guard configuration.uri.hasPrefix(scheme) else {
            throw LDAPError(
                operation: "\(configuration.uri) does not start with \(scheme) as \(configuration.security) needs",
                code: LDAP_PARAM_ERROR)
        }
        var ld: OpaquePointer?
        let rc = ldap_initialize(&ld, configuration.uri)
        guard rc == LDAP_SUCCESS, let ld else {
            throw LDAPError(operation: "initialize \(configuration.uri)", code: rc)
        }
        handle = ld
        try prepare(maximumMessage: maximumMessage)
        var demand = Int32(LDAP_OPT_X_TLS_DEMAND)
        try check("certificate checking", ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand))
        try check("CA file", ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, configuration.caFile))
        var newContext = Int32(0)
        try check("TLS context", ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newContext))
        try limitToRemainingTime()
        if configuration.security == .startTLS {
            try check("StartTLS", ldap_start_tls_s(ld, nil, nil))
            guard ldap_tls_inplace(ld) != 0 else {
                throw LDAPError(operation: "StartTLS left the connection unencrypted", code: LDAP_CONNECT_ERROR)
            }
            try limitToRemainingTime()
        }
        let bound = configuration.password.withUnsafeBytes { bytes in
            var credential = berval(
                bv_len: ber_len_t(bytes.count),
                bv_val: UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: CChar.self)))
            return ldap_sasl_bind_s(ld, configuration.bindDN, nil, &credential, nil, nil, nil)
        }
        try check("bind as \(configuration.bindDN)", bound)
    }

    /// An anonymous session over plain LDAP to `uri` (`ldap://host:port`): no credential is
    /// ever sent on it. The first operation connects.
    init(anonymous uri: String, timeout: Duration, maximumMessage: Int?) throws(LDAPError) {
        deadline = ContinuousClock.now + timeout
        guard uri.hasPrefix("ldap://") else {
            throw LDAPError(operation: "\(uri) is not an ldap:// URI", code: LDAP_PARAM_ERROR)
        }
        var ld: OpaquePointer?
        let rc = ldap_initialize(&ld, uri)
        guard rc == LDAP_SUCCESS, let ld else { throw LDAPError(operation: "initialize \(uri)", code: rc) }
        handle = ld
        try prepare(maximumMessage: maximumMessage)
    }

    deinit { ldap_unbind_ext_s(handle, nil, nil) }

    /// LDAPv3, no referrals chased, and a bound on what one message from the server may hold.
    private func prepare(maximumMessage: Int?) throws(LDAPError) {
        var version = Int32(LDAP_VERSION3)
        try check("protocol version", ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version))
        try check("referrals off", ldap_set_option(handle, LDAP_OPT_REFERRALS, nil))
        guard var limit = maximumMessage.map(ber_len_t.init) else { return }
        var sockbuf: OpaquePointer?
        try check("socket buffer", ldap_get_option(handle, LDAP_OPT_SOCKBUF, &sockbuf))
        guard let sockbuf, ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_SET_MAX_INCOMING, &limit) == 1 else {
            throw LDAPError(operation: "message size limit", code: LDAP_LOCAL_ERROR)
        }
    }

    private func check(_ operation: String, _ rc: Int32) throws(LDAPError) {
        guard rc == LDAP_SUCCESS || rc == LDAP_OPT_SUCCESS else { throw LDAPError(operation: operation, code: rc) }
    }

    /// What is left of the deadline, at least a millisecond; past it, a timeout.
    private func remaining() throws(LDAPError) -> timeval {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { throw LDAPError(operation: "the look-up's deadline passed", code: LDAP_TIMEOUT) }
        let (seconds, attoseconds) = left.components
        return timeval(tv_sec: Int(seconds), tv_usec: max(1_000, Int(attoseconds / 1_000_000_000_000)))
    }

    /// Bounds the next connect and synchronous operation by the time that remains.
    private func limitToRemainingTime() throws(LDAPError) {
        var limit = try remaining()
        try check("network timeout", ldap_set_option(handle, LDAP_OPT_NETWORK_TIMEOUT, &limit))
        try check("timeout", ldap_set_option(handle, LDAP_OPT_TIMEOUT, &limit))
    }

    /// An entry: its DN and the values of the attributes asked for.
    struct Entry {
        var dn: String
        /// The raw values by lower-case attribute name.
        var attributes: [String: [[UInt8]]]

        func first(_ name: String) -> String? { firstValue(name).map { String(decoding: $0, as: UTF8.self) } }
        func firstValue(_ name: String) -> [UInt8]? { attributes[name.lowercased()]?.first }
        func values(_ name: String) -> [String] {
            (attributes[name.lowercased()] ?? []).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// A search under `base` (its subtree unless `scope` says otherwise); references (referrals
    /// to other partitions) are skipped. More entries than `limit` (0: the server's own limit)
    /// is an error: a partial answer is never taken for a whole one.
    func search(
        base: String, scope: Int32 = LDAP_SCOPE_SUBTREE, filter: String, attributes: [String], limit: Int
    ) throws(LDAPError) -> [Entry] {
        var names = attributes.map { strdup($0) } + [nil]
        defer { for name in names { free(name) } }
        try limitToRemainingTime()
        var timeLimit = try remaining()
        var result: OpaquePointer?
        let rc = ldap_search_ext_s(
            handle, base, scope, filter, &names, 0, nil, nil, &timeLimit, Int32(limit), &result)
        defer { if let result { ldap_msgfree(result) } }
        guard rc == LDAP_SUCCESS else { throw LDAPError(operation: "search \(filter)", code: rc) }
        var entries: [Entry] = []
        var entry = ldap_first_entry(handle, result)
        while let current = entry {
            var dn = ""
            if let pointer = ldap_get_dn(handle, current) {
                dn = String(cString: pointer)
                ldap_memfree(pointer)
            }
            var values: [String: [[UInt8]]] = [:]
            for name in attributes {
                guard let list = ldap_get_values_len(handle, current, name) else { continue }
                defer { ldap_value_free_len(list) }
                var raw: [[UInt8]] = []
                var index = 0
                while let value = list[index] {
                    raw.append(
                        Array(UnsafeRawBufferPointer(start: value.pointee.bv_val, count: Int(value.pointee.bv_len))))
                    index += 1
                }
                values[name.lowercased()] = raw
            }
            entries.append(Entry(dn: dn, attributes: values))
            entry = ldap_next_entry(handle, current)
        }
        return entries
    }
}

/// RFC 4515: a value inside a search filter, with `*`, `(`, `)`, `\` and NUL escaped.
func ldapFilterValue(_ value: String) -> String {
    var escaped: [UInt8] = []
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"), 0:
            let hex = Array(String(byte, radix: 16).utf8)
            escaped += [UInt8(ascii: "\\")] + (hex.count == 1 ? [UInt8(ascii: "0")] : []) + hex
        default:
            escaped.append(byte)
        }
    }
    return String(decoding: escaped, as: UTF8.self)
}
