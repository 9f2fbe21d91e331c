import CLDAP
import Foundation

/// Why talking to the directory failed; the text is libldap's.
struct LDAPError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32
    var description: String { "\(operation): \(String(cString: ldap_err2string(code))) (\(code))" }
}

/// One LDAP session over TLS (LDAPS or StartTLS), bound with a simple bind: what a look-up
/// opens and closes. Every step is limited by the same deadline.
final class LDAPConnection {
    private let handle: OpaquePointer

    /// Connects, secures and binds.
    init(configuration: LDAPDirectoryConfiguration, timeout: Duration) throws(LDAPError) {
        var ld: OpaquePointer?
        let rc = ldap_initialize(&ld, configuration.uri)
        guard rc == LDAP_SUCCESS, let ld else { throw LDAPError(operation: "initialize \(configuration.uri)", code: rc) }
        handle = ld
        var version = Int32(LDAP_VERSION3)
        var demand = Int32(LDAP_OPT_X_TLS_DEMAND)
        var newContext = Int32(0)
        let seconds = max(1, Int(timeout.components.seconds))
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        for (option, value) in [(LDAP_OPT_PROTOCOL_VERSION, UnsafeMutableRawPointer(&version)),
                                (LDAP_OPT_NETWORK_TIMEOUT, UnsafeMutableRawPointer(&limit)),
                                (LDAP_OPT_TIMEOUT, UnsafeMutableRawPointer(&limit)),
                                (LDAP_OPT_X_TLS_REQUIRE_CERT, UnsafeMutableRawPointer(&demand))] {
            try check("set option \(option)", ldap_set_option(ld, option, value))
        }
        try check("referrals off", ldap_set_option(ld, LDAP_OPT_REFERRALS, nil))
        try check("CA file", ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, configuration.caFile))
        try check("TLS context", ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newContext))
        if configuration.security == .startTLS { try check("StartTLS", ldap_start_tls_s(ld, nil, nil)) }
        var password = Array(configuration.password.utf8)
        defer { for index in password.indices { password[index] = 0 } }
        let bound = password.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                var credential = berval(bv_len: ber_len_t(chars.count), bv_val: chars.baseAddress)
                return ldap_sasl_bind_s(ld, configuration.bindDN, nil, &credential, nil, nil, nil)
            }
        }
        try check("bind as \(configuration.bindDN)", bound)
    }

    deinit { ldap_unbind_ext_s(handle, nil, nil) }

    private func check(_ operation: String, _ rc: Int32) throws(LDAPError) {
        guard rc == LDAP_SUCCESS || rc == LDAP_OPT_SUCCESS else { throw LDAPError(operation: operation, code: rc) }
    }

    /// An entry: its DN and the values of the attributes asked for.
    struct Entry {
        var dn: String
        /// The raw values by lower-case attribute name.
        var attributes: [String: [[UInt8]]]

        func first(_ name: String) -> String? { firstValue(name).map { String(decoding: $0, as: UTF8.self) } }
        func firstValue(_ name: String) -> [UInt8]? { attributes[name.lowercased()]?.first }
        func values(_ name: String) -> [String] { (attributes[name.lowercased()] ?? []).map { String(decoding: $0, as: UTF8.self) } }
    }

    /// A subtree search under `base`; references (referrals to other partitions) are skipped.
    func search(base: String, filter: String, attributes: [String], limit: Int, timeout: Duration) throws(LDAPError) -> [Entry] {
        var names = attributes.map { strdup($0) } + [nil]
        defer { for name in names { free(name) } }
        var deadline = timeval(tv_sec: max(1, Int(timeout.components.seconds)), tv_usec: 0)
        var result: OpaquePointer?
        let rc = ldap_search_ext_s(handle, base, LDAP_SCOPE_SUBTREE, filter, &names, 0, nil, nil, &deadline, Int32(limit), &result)
        defer { if let result { ldap_msgfree(result) } }
        guard rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED else { throw LDAPError(operation: "search \(filter)", code: rc) }
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
                    raw.append(Array(UnsafeRawBufferPointer(start: value.pointee.bv_val, count: Int(value.pointee.bv_len))))
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
