import AuthIPErrors
import CGSSAPI
import Foundation

/// A password logon (AS exchange) into a MEMORY credentials cache. MIT's
/// `gss_acquire_cred_with_password` loses the KDC's error (a disabled account and a wrong
/// password both come back as "no credentials"), so the logon is done with the krb5 API,
/// whose error says what the KDC said. The cache is destroyed (`destroy`) when the context
/// that logged on is released: a MEMORY cache otherwise lives, with its TGT, as long as the
/// process.
package enum PasswordLogon {
    private static let counter = Counter()

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }

    /// For the tests of this package: whether the cache `name` still holds a principal's tickets.
    package static func holdsTickets(_ name: String) -> Bool {
        var context: krb5_context?
        guard krb5_init_context(&context) == 0, let context else { return false }
        defer { krb5_free_context(context) }
        var cache: krb5_ccache?
        guard krb5_cc_resolve(context, name, &cache) == 0, let cache else { return false }
        defer { krb5_cc_close(context, cache) }
        var principal: krb5_principal?
        guard krb5_cc_get_principal(context, cache, &principal) == 0 else { return false }
        krb5_free_principal(context, principal)
        return true
    }

    /// Destroys a cache `memoryCache` made, with the tickets in it.
    static func destroy(_ name: String) {
        var context: krb5_context?
        guard krb5_init_context(&context) == 0, let context else { return }
        defer { krb5_free_context(context) }
        var cache: krb5_ccache?
        guard krb5_cc_resolve(context, name, &cache) == 0, let cache else { return }
        krb5_cc_destroy(context, cache)
    }

    /// The name of a MEMORY cache holding `principal`'s TGT.
    static func memoryCache(principal: String, password: String) throws(GSSFailure) -> String {
        var context: krb5_context?
        guard krb5_init_context(&context) == 0, let context else {
            throw GSSFailure(.secEInternalError, "krb5_init_context failed")
        }
        defer { krb5_free_context(context) }
        var client: krb5_principal?
        guard krb5_parse_name(context, principal, &client) == 0 else {
            throw GSSFailure(.secELogonDenied, "bad principal name \(principal)")
        }
        defer { krb5_free_principal(context, client) }
        var credentials = krb5_creds()
        // The password goes to krb5 from a buffer of ours, wiped afterwards.
        var secret = Array(password.utf8CString)
        defer { secret.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        let code = secret.withUnsafeBufferPointer {
            krb5_get_init_creds_password(context, &credentials, client, $0.baseAddress, nil, nil, 0, nil, nil)
        }
        guard code == 0 else {
            let message = krb5_get_error_message(context, code)
            defer { krb5_free_error_message(context, message) }
            throw GSSFailure(
                KerberosContext.status(major: 0, minor: OM_uint32(bitPattern: code)),
                message.map { String(cString: $0) } ?? "logon failed")
        }
        defer { krb5_free_cred_contents(context, &credentials) }
        let name = "MEMORY:authip-logon-\(getpid())-\(counter.next())"
        var cache: krb5_ccache?
        guard krb5_cc_resolve(context, name, &cache) == 0, let cache,
            krb5_cc_initialize(context, cache, client) == 0,
            krb5_cc_store_cred(context, cache, &credentials) == 0
        else {
            throw GSSFailure(.secEInternalError, "cannot store the logon's tickets")
        }
        // A MEMORY cache lives while the process holds it open; closing it keeps its contents.
        krb5_cc_close(context, cache)
        return name
    }
}
