import COpenSSL

/// The process-wide OpenSSL set-up: the `default` and `legacy` providers, loaded once (the
/// legacy one holds MD4, RC4 and single DES, which NTLM and old peers need), and the
/// algorithms fetched once so that no call pays for a name lookup.
public enum OpenSSL {
    /// Loads both providers on first use and tells whether the legacy one (MD4, RC4, DES)
    /// is available. Every entry point of this module touches it before using OpenSSL.
    static let legacyProviderLoaded: Bool = {
        let defaultProvider = OSSL_PROVIDER_load(nil, "default")
        let legacyProvider = OSSL_PROVIDER_load(nil, "legacy")
        precondition(defaultProvider != nil, "OpenSSL's default provider did not load")
        return legacyProvider != nil
    }()

    /// The text of OpenSSL's oldest queued error, clearing the queue.
    public static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown OpenSSL failure" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An OpenSSL object fetched once and kept for the life of the process.
struct Fetched<Pointer>: @unchecked Sendable {
    let pointer: Pointer
}

/// Why a cryptographic operation failed.
public enum CryptoError: Error, Hashable, Sendable {
    /// The peer's DH public value fails the RFC 6989 checks (or has the wrong length).
    case invalidPublicValue
    /// A private value is out of range for its group.
    case invalidPrivateKey
    /// Key or IV lengths that do not fit the algorithm.
    case invalidKeyLength
    /// OpenSSL refused; the text is OpenSSL's.
    case openSSL(String)
}

/// Overwrites `bytes` with zeros in a way the compiler cannot drop.
package func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
}

/// OpenSSL's providers, for modules that call OpenSSL themselves.
public enum OpenSSLProviders {
    /// Loads the `default` and `legacy` providers (once per process) and tells whether the
    /// legacy one, with MD4, RC4 and single DES, is available.
    @discardableResult
    public static func load() -> Bool { OpenSSL.legacyProviderLoaded }
}
