import AuthIPCrypto
import COpenSSL
import Foundation

/// A CRL, parsed once. Its signature is verified at most once per issuer key (the result is
/// remembered), and validations see it through `view(for:)`: a small copy holding only the
/// entries of the certificates being validated, so that a CRL of a million entries costs a
/// validation a binary search instead of hashing megabytes.
public final class RevocationList: @unchecked Sendable, CustomStringConvertible {
    let crl: OpaquePointer
    /// The DER encoding, as received.
    public let der: [UInt8]
    public let issuer: String
    public let thisUpdate: Date
    /// nil when the CRL has no nextUpdate.
    public let nextUpdate: Date?
    public let entryCount: Int
    /// A delta CRL (it carries a Delta CRL Indicator).
    public let isDelta: Bool
    /// The CRL Number, big-endian without leading zeros; nil when the CRL has none.
    public let number: [UInt8]?
    /// What the list covers, for telling a newer issue of the same list from another list of
    /// the same issuer: base or delta, and the Issuing Distribution Point's encoding.
    let scope: Scope
    /// Indirect CRLs and CRLs with critical extensions OpenSSL does not handle are given to
    /// OpenSSL whole: the first because an entry's issuer can be inherited from the entries
    /// before it, the second so that OpenSSL rejects them exactly as it would.
    let requiresWholeList: Bool
    /// The SHA-256 of the DER encoding.
    public let fingerprint: [UInt8]

    private let lock = NSLock()
    private var signatureVerdicts: [[UInt8]: Bool] = [:]

    /// Parses one CRL, PEM or DER.
    public init(_ data: [UInt8]) throws(TrustInputError) {
        let parsed: OpaquePointer?
        if PEM.looksLikePEM(data) {
            parsed = PEM.read(data) { bio in PEM_read_bio_X509_CRL(bio, nil, nil, nil) }.first
        } else {
            parsed = data.withUnsafeBytes { raw in
                var pointer: UnsafePointer<UInt8>? = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
                return d2i_X509_CRL(nil, &pointer, raw.count)
            }
        }
        guard let parsed else {
            ERR_clear_error()
            throw .malformedCRL
        }
        crl = parsed
        var buffer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_CRL(parsed, &buffer)
        der = length > 0 ? Array(UnsafeBufferPointer(start: buffer, count: Int(length))) : data
        CRYPTO_free(buffer, #file, #line)
        fingerprint = HashAlgorithm.sha256.digest(der)
        issuer = Certificate.text(of: X509_CRL_get_issuer(parsed))
        thisUpdate = ASN1Time.date(X509_CRL_get0_lastUpdate(parsed))
        nextUpdate = X509_CRL_get0_nextUpdate(parsed).map { ASN1Time.date($0) }
        let revoked = X509_CRL_get_REVOKED(parsed)
        entryCount = revoked == nil ? 0 : Int(authip_sk_X509_REVOKED_num(revoked))
        isDelta = X509_CRL_get_ext_by_NID(parsed, NID_delta_crl, -1) >= 0
        number = Self.integerExtension(parsed, NID_crl_number)
        scope = Scope(
            isDelta: isDelta, issuingDistributionPoint: Self.extensionData(parsed, NID_issuing_distribution_point))
        requiresWholeList = Self.isIndirect(parsed) || Self.hasUnhandledCriticalExtension(parsed)
    }

    deinit { X509_CRL_free(crl) }

    public var description: String { "CRL(\(issuer), \(entryCount) entries)" }

    /// Whether `date` lies between thisUpdate and nextUpdate (a CRL without nextUpdate stays
    /// current).
    public func isCurrent(at date: Date) -> Bool {
        thisUpdate <= date && date <= (nextUpdate ?? .distantFuture)
    }

    /// Base or delta, and the Issuing Distribution Point: lists of one issuer with the same
    /// scope are issues of one list, and replace each other in number order.
    struct Scope: Hashable {
        var isDelta: Bool
        var issuingDistributionPoint: [UInt8]?
    }

    /// Whether this is a later issue than `other` of the same list (by CRL Number, or by
    /// thisUpdate when either has none); an equal one is not later.
    func supersedes(_ other: RevocationList) -> Bool {
        if let number, let held = other.number {
            return number.count != held.count ? number.count > held.count : held.lexicographicallyPrecedes(number)
        }
        return thisUpdate > other.thisUpdate
    }

    /// Whether `issuer`'s subject is this CRL's issuer name.
    func isIssued(by issuer: Certificate) -> Bool {
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer.x509)) == 0
    }

    /// The issuer name's OpenSSL hash, to find the CRLs that may cover a certificate.
    var issuerHash: UInt {
        X509_NAME_hash_ex(X509_CRL_get_issuer(crl), nil, nil, nil)
    }

    /// Whether the CRL's signature verifies with `issuer`'s public key; computed once per key.
    func signatureVerifies(with issuer: OpaquePointer) -> Bool {
        guard let key = X509_get0_pubkey(issuer) else { return false }
        var buffer: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(key, &buffer)
        let keyID = HashAlgorithm.sha256.digest(Array(UnsafeBufferPointer(start: buffer, count: Int(max(length, 0)))))
        CRYPTO_free(buffer, #file, #line)
        lock.lock()
        if let known = signatureVerdicts[keyID] {
            lock.unlock()
            return known
        }
        lock.unlock()
        let verdict = X509_CRL_verify(crl, key) == 1
        ERR_clear_error()
        lock.lock()
        signatureVerdicts[keyID] = verdict
        lock.unlock()
        return verdict
    }

    /// What OpenSSL is given for a validation of certificates with these serial numbers: the
    /// whole CRL when it must be, else a copy with only their entries. A view carries a
    /// made-up signature; the validator excuses it only while OpenSSL checks that very view and
    /// the original verified with the key OpenSSL checks it with (`OpenSSLChainCheck.checkCRL`).
    func view(for serials: [UnsafePointer<ASN1_INTEGER>]) -> (crl: OpaquePointer, isView: Bool)? {
        guard !requiresWholeList else {
            X509_CRL_up_ref(crl)
            return (crl, false)
        }
        guard let copy = X509_CRL_new() else { return nil }
        defer { X509_CRL_free(copy) }
        X509_CRL_set_version(copy, X509_CRL_get_version(crl))
        X509_CRL_set_issuer_name(copy, X509_CRL_get_issuer(crl))
        X509_CRL_set1_lastUpdate(copy, X509_CRL_get0_lastUpdate(crl))
        if let next = X509_CRL_get0_nextUpdate(crl) { X509_CRL_set1_nextUpdate(copy, next) }
        for index in 0..<X509_CRL_get_ext_count(crl) {
            X509_CRL_add_ext(copy, X509_CRL_get_ext(crl, index), -1)
        }
        for serial in serials {
            var entry: OpaquePointer?
            if X509_CRL_get0_by_serial(crl, &entry, serial) != 0, let entry, let duplicate = X509_REVOKED_dup(entry) {
                X509_CRL_add0_revoked(copy, duplicate)
            }
        }
        X509_CRL_sort(copy)
        guard X509_CRL_sign(copy, ViewSigningKey.shared.key, nil) > 0 else { return nil }
        // Decode the copy again so that OpenSSL derives what it caches at decoding time
        // (IDP flags, delta base number, entry issuers).
        var buffer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_CRL(copy, &buffer)
        defer { CRYPTO_free(buffer, #file, #line) }
        guard length > 0, let buffer else { return nil }
        var pointer: UnsafePointer<UInt8>? = UnsafePointer(buffer)
        guard let decoded = d2i_X509_CRL(nil, &pointer, Int(length)) else { return nil }
        return (decoded, true)
    }

    /// An INTEGER extension (CRL Number) as big-endian bytes without leading zeros.
    private static func integerExtension(_ crl: OpaquePointer, _ nid: Int32) -> [UInt8]? {
        guard let raw = X509_CRL_get_ext_d2i(crl, nid, nil, nil) else { return nil }
        let integer = raw.assumingMemoryBound(to: ASN1_INTEGER.self)
        defer { ASN1_INTEGER_free(integer) }
        guard let bignum = ASN1_INTEGER_to_BN(integer, nil) else { return nil }
        defer { BN_free(bignum) }
        var bytes = [UInt8](repeating: 0, count: Int(authip_BN_num_bytes(bignum)))
        _ = bytes.withUnsafeMutableBufferPointer { BN_bn2bin(bignum, $0.baseAddress) }
        return bytes
    }

    /// The DER value of an extension, or nil when the CRL has none.
    private static func extensionData(_ crl: OpaquePointer, _ nid: Int32) -> [UInt8]? {
        let index = X509_CRL_get_ext_by_NID(crl, nid, -1)
        guard index >= 0, let data = X509_EXTENSION_get_data(X509_CRL_get_ext(crl, index)) else { return nil }
        return Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(data), count: Int(ASN1_STRING_length(data))))
    }

    private static func isIndirect(_ crl: OpaquePointer) -> Bool {
        guard let raw = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, nil, nil) else { return false }
        let idp = raw.assumingMemoryBound(to: ISSUING_DIST_POINT.self)
        defer { ISSUING_DIST_POINT_free(idp) }
        return idp.pointee.indirectCRL != 0
    }

    private static let handledCRLExtensions: Set<Int32> = [
        NID_issuing_distribution_point, NID_delta_crl, NID_authority_key_identifier, NID_crl_number, NID_freshest_crl,
    ]
    private static let handledEntryExtensions: Set<Int32> = [
        NID_certificate_issuer, NID_crl_reason, NID_invalidity_date,
    ]

    private static func hasUnhandledCriticalExtension(_ crl: OpaquePointer) -> Bool {
        for index in 0..<X509_CRL_get_ext_count(crl) {
            let ext = X509_CRL_get_ext(crl, index)
            if X509_EXTENSION_get_critical(ext) != 0,
                !handledCRLExtensions.contains(OBJ_obj2nid(X509_EXTENSION_get_object(ext)))
            {
                return true
            }
        }
        guard let revoked = X509_CRL_get_REVOKED(crl) else { return false }
        for index in 0..<authip_sk_X509_REVOKED_num(revoked) {
            let entry = authip_sk_X509_REVOKED_value(revoked, index)
            for e in 0..<X509_REVOKED_get_ext_count(entry) {
                let ext = X509_REVOKED_get_ext(entry, e)
                if X509_EXTENSION_get_critical(ext) != 0,
                    !handledEntryExtensions.contains(OBJ_obj2nid(X509_EXTENSION_get_object(ext)))
                {
                    return true
                }
            }
        }
        return false
    }
}

/// The fixed Ed25519 key that signs CRL views. Its signatures never verify against a real
/// issuer and are never meant to: the validator checks the original CRL instead.
final class ViewSigningKey: @unchecked Sendable {
    static let shared = ViewSigningKey()
    let key: OpaquePointer

    private init() {
        OpenSSLProviders.load()
        let seed = [UInt8](repeating: 0x5A, count: 32)
        key = seed.withUnsafeBufferPointer { EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) }!
    }
}
