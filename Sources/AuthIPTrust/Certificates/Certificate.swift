import AuthIPCrypto
import COpenSSL
import Foundation

/// An X.509 certificate, parsed once by OpenSSL and shared by its copies.
public struct Certificate: Hashable, Sendable, CustomStringConvertible {
    final class Storage: @unchecked Sendable {
        let x509: OpaquePointer
        init(_ x509: OpaquePointer) { self.x509 = x509 }
        deinit { X509_free(x509) }
    }

    let storage: Storage
    var x509: OpaquePointer { storage.x509 }

    /// The DER encoding.
    public let der: [UInt8]

    init(taking x509: OpaquePointer) {
        storage = Storage(x509)
        var buffer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(x509, &buffer)
        der = length > 0 ? Array(UnsafeBufferPointer(start: buffer, count: Int(length))) : []
        CRYPTO_free(buffer, #file, #line)
    }

    /// A certificate OpenSSL already holds (a peer's from a TLS session), shared rather than
    /// parsed again.
    public init(retaining x509: OpaquePointer) {
        X509_up_ref(x509)
        self.init(taking: x509)
    }

    /// The OpenSSL object, with a reference the caller must release with `X509_free`.
    public func retainedX509() -> OpaquePointer {
        X509_up_ref(x509)
        return x509
    }

    /// Parses one DER certificate.
    public init(der: [UInt8]) throws(TrustInputError) {
        let parsed: OpaquePointer? = der.withUnsafeBytes { raw in
            var pointer: UnsafePointer<UInt8>? = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            return d2i_X509(nil, &pointer, raw.count)
        }
        guard let parsed else { throw .malformedCertificate }
        self.init(taking: parsed)
    }

    /// Every certificate in `data`: PEM (one or more blocks) or a single DER certificate.
    public static func parseAll(_ data: [UInt8]) throws(TrustInputError) -> [Certificate] {
        guard PEM.looksLikePEM(data) else { return [try Certificate(der: data)] }
        let certificates = PEM.read(data) { bio in PEM_read_bio_X509(bio, nil, nil, nil) }.map(
            Certificate.init(taking:))
        guard !certificates.isEmpty else { throw .malformedCertificate }
        return certificates
    }

    /// Reads every certificate of a PEM or DER file.
    public static func load(path: String) throws(TrustInputError) -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        return try parseAll(Array(data))
    }

    public var subject: String { Self.text(of: X509_get_subject_name(x509)) }

    /// The subject's (last) common name, read from the certificate without printing the name.
    public var commonName: String? {
        let name = X509_get_subject_name(x509)
        var index: Int32 = -1, last: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, NID_commonName, index)
            guard index >= 0 else { break }
            last = index
        }
        guard last >= 0, let data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)) else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }
    public var issuer: String { Self.text(of: X509_get_issuer_name(x509)) }

    /// The serial number, big-endian, as in the certificate (two's complement, sign kept).
    public var serialNumber: [UInt8] {
        let serial = X509_get0_serialNumber(x509)
        return Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(serial), count: Int(ASN1_STRING_length(serial))))
    }

    public var notBefore: Date { ASN1Time.date(X509_get0_notBefore(x509)) }
    public var notAfter: Date { ASN1Time.date(X509_get0_notAfter(x509)) }

    /// The URIs of the CRL distribution points, in certificate order.
    public var crlDistributionPoints: [String] {
        Self.strings { each, context in authip_cdp_uris(x509, each, context) }
    }

    /// The DNS names of the subject alternative names, in certificate order.
    public var dnsNames: [String] { Self.strings { each, context in authip_san_dns_names(x509, each, context) } }

    /// The strings a shim hands its callback one by one (bytes and length).
    private static func strings(
        _ visit: (
            @convention(c) (UnsafePointer<CChar>?, Int32, UnsafeMutableRawPointer?) -> Void, UnsafeMutableRawPointer
        ) -> Void
    ) -> [String] {
        final class Box { var strings: [String] = [] }
        let box = Box()
        visit(
            { bytes, length, context in
                guard let bytes, let context else { return }
                let text = String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
                Unmanaged<Box>.fromOpaque(context).takeUnretainedValue().strings.append(text)
            }, Unmanaged.passUnretained(box).toOpaque())
        return box.strings
    }

    /// Whether the certificate is for the host `name`, as a TLS client checks a server
    /// (OpenSSL's `X509_check_host`: the DNS names of the subject alternative names, wildcards
    /// allowed; the subject's common name when there is no DNS name).
    public func isFor(host name: String) -> Bool {
        X509_check_host(x509, name, name.utf8.count, 0, nil) == 1
    }

    /// The computer's DNS name the certificate carries: its first DNS subject alternative
    /// name, else its common name.
    public var computerDNSName: String? { dnsNames.first ?? commonName }

    /// The dotted OIDs of the extended key usages, or nil when the certificate has none
    /// (which Windows reads as "any purpose").
    public var extendedKeyUsages: [String]? {
        final class Box { var oids: [String] = [] }
        let box = Box()
        let present = authip_eku_oids(
            x509,
            { oid, context in
                guard let oid, let context else { return }
                Unmanaged<Box>.fromOpaque(context).takeUnretainedValue().oids.append(String(cString: oid))
            }, Unmanaged.passUnretained(box).toOpaque())
        return present == 0 ? nil : box.oids
    }

    /// The key usage bits (KU_* of OpenSSL), or nil when the extension is absent.
    public var keyUsage: UInt32? {
        X509_get_extension_flags(x509) & UInt32(EXFLAG_KUSAGE) == 0 ? nil : X509_get_key_usage(x509)
    }

    /// The SHA-256 of the DER encoding.
    public var fingerprint: [UInt8] { HashAlgorithm.sha256.digest(der) }

    public var description: String { "Certificate(\(subject))" }

    /// The certificate in PEM, 64 base64 characters a line.
    public var pem: String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN CERTIFICATE-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }

    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.der == rhs.der }
    public func hash(into hasher: inout Hasher) { hasher.combine(der) }

    static func text(of name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, name, 0, authip_name_flags_rfc2253())
        return PEM.drain(bio)
    }
}

/// Why an input (certificate, CRL, file) could not be used at all.
public enum TrustInputError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformedCertificate
    case malformedCRL
    case unreadable(String)
    /// OpenSSL could not make a key, certificate or CRL (`CertificateAuthority`).
    case issuingFailed(String)
    /// The cache holds a later issue of this CRL (CRL numbers never go backwards).
    case olderThanCached(String)

    public var description: String {
        switch self {
        case .issuingFailed(let detail): return "cannot issue: \(detail)"
        case .malformedCertificate: return "not a certificate (PEM or DER)"
        case .malformedCRL: return "not a CRL (PEM or DER)"
        case .unreadable(let path): return "cannot read \(path)"
        case .olderThanCached(let detail): return "older than the cached CRL: \(detail)"
        }
    }
}

/// PEM helpers over memory BIOs.
enum PEM {
    static func looksLikePEM(_ data: [UInt8]) -> Bool {
        let marker = Array("-----BEGIN".utf8)
        guard data.count >= marker.count else { return false }
        for start in 0...(data.count - marker.count) where data[start] == marker[0] {
            if Array(data[start..<start + marker.count]) == marker { return true }
        }
        return false
    }

    /// Reads objects with `read` until it returns nil.
    static func read(_ data: [UInt8], _ read: (OpaquePointer) -> OpaquePointer?) -> [OpaquePointer] {
        data.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return [] }
            defer { BIO_free(bio) }
            var objects: [OpaquePointer] = []
            while let object = read(bio) { objects.append(object) }
            ERR_clear_error()
            return objects
        }
    }

    static func drain(_ bio: OpaquePointer) -> String {
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}

/// ASN1_TIME to Date.
enum ASN1Time {
    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var tm = tm()
        guard let time, ASN1_TIME_to_tm(time, &tm) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }
}
