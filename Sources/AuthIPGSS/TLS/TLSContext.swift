import AuthIPCrypto
import AuthIPErrors
import AuthIPTrust
import AuthIPWire
import COpenSSL
import Foundation

/// Certificate authentication (method 4): a TLS 1.2 handshake over memory BIOs, the AuthIP
/// initiator as the TLS client, both sides presenting computer certificates. Tokens are whole
/// TLS records. The peer's chain is judged by AuthIPTrust with the configured policy before
/// this side's last flight leaves; in strong mode that may need CRL downloads, which a step
/// asks for (`.needs(.crls)`) and `resume` takes.
/// The session key is the RFC 5705 exporter output (`InteropProfile.tlsExporterLabel`).
///
/// TLS draws its randoms and ephemeral keys from OpenSSL's generator, not from `step`'s
/// `random`: TLS exchanges are the one part of a negotiation that does not replay byte for byte.
public final class TLSContext: GSSContext {
    public let method = AuthMethod.tls
    public let role: GSSRole
    public private(set) var isComplete = false
    public private(set) var peerName: String?
    public private(set) var sessionKey: SecretBytes?
    /// The peer's validated chain, leaf first.
    public private(set) var peerCertificates: [Certificate] = []
    /// The certificates the peer presented (leaf first), validated or not: what a failure
    /// event names.
    public private(set) var presentedCertificates: [Certificate] = []

    private let configuration: TLSConfiguration
    private let ssl: OpaquePointer
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    private let selection: IdentitySelection
    private var validation: CertificateValidation?
    private var heldOutput: [UInt8] = []
    private var failed = false

    /// CRL distribution points asked for and not answered yet (strong mode).
    private var pendingCRLDownloads: [String] = []

    public init(role: GSSRole, configuration: TLSConfiguration) throws(GSSFailure) {
        guard !configuration.identities.isEmpty else { throw GSSFailure(.secENoCredentials, "no computer certificate") }
        self.role = role
        self.configuration = configuration
        guard let ctx = TLSContext.sharedContext(for: role) else {
            throw GSSFailure(.secEInternalError, "SSL_CTX_new failed")
        }
        guard let ssl = SSL_new(ctx) else { throw GSSFailure(.secEInternalError, "SSL_new failed") }
        self.ssl = ssl
        // The rule's versions; below 1.2 OpenSSL 3 wants security level 0 (MD5/SHA-1 handshakes).
        _ = authip_SSL_set_versions(
            ssl, configuration.versions.lowerBound.rawValue, configuration.versions.upperBound.rawValue)
        if configuration.versions.lowerBound < .tls12 { SSL_set_security_level(ssl, 0) }
        incoming = BIO_new(BIO_s_mem())
        outgoing = BIO_new(BIO_s_mem())
        SSL_set_bio(ssl, incoming, outgoing)
        selection = IdentitySelection(identities: configuration.identities)
        SSL_set_cert_cb(ssl, IdentitySelection.callback, Unmanaged.passUnretained(selection).toOpaque())
        // The chain is judged by AuthIPTrust once the handshake has it; OpenSSL only checks
        // that the peer proves possession of the key.
        SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, { _, _ in 1 })
        if role == .initiator {
            SSL_set_connect_state(ssl)
        } else {
            SSL_set_accept_state(ssl)
            let names = authip_sk_X509_NAME_new()
            for root in configuration.trust.trustedRoots {
                let x = root.retainedX509()
                authip_sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(x)))
                X509_free(x)
            }
            SSL_set_client_CA_list(ssl, names)
        }
    }

    deinit { SSL_free(ssl) }

    public func step<R: RandomSource>(_ token: [UInt8], now: Date, random: inout R) throws(GSSFailure) -> GSSStep {
        guard !failed, !isComplete, pendingCRLDownloads.isEmpty else {
            throw GSSFailure(.secEInvalidToken, "the TLS exchange is not expecting a token")
        }
        if !token.isEmpty {
            let written = token.withUnsafeBytes { BIO_write(incoming, $0.baseAddress, Int32($0.count)) }
            guard written == token.count else { throw fail(.secEInternalError, "cannot buffer the token") }
        } else if role == .acceptor {
            throw fail(.secEInvalidToken, "the TLS client sends first")
        }
        let result = SSL_do_handshake(ssl)
        if result != 1 {
            let error = SSL_get_error(ssl, result)
            guard error == SSL_ERROR_WANT_READ else {
                if error == SSL_ERROR_WANT_X509_LOOKUP || selection.failedSelection {
                    throw fail(.secENoCredentials, "no computer certificate issued by a CA the peer accepts")
                }
                throw fail(.secEInvalidToken, "TLS handshake failed: \(OpenSSL.lastError())")
            }
        }
        let output = drain()
        if validation == nil, let leaf = SSL_get0_peer_certificate(ssl) {
            let presented = Certificate(retaining: leaf), intermediates = peerIntermediates()
            presentedCertificates = [presented] + intermediates
            validation = CertificateValidation(
                leaf: presented, intermediates: intermediates,
                policy: configuration.trust, cache: configuration.crlCache, at: now)
            heldOutput = output
            return try judge(validation!.start(), handshakeDone: result == 1)
        }
        if result == 1 { try finish() }
        return .token(output)
    }

    /// Continues after the CRL downloads the last step asked for.
    public func resume(_ answer: GSSAnswer, now: Date) throws(GSSFailure) -> GSSStep {
        guard var validation, !pendingCRLDownloads.isEmpty, case .crls(let results) = answer else {
            throw GSSFailure(.secEInvalidToken, "no CRL download was asked for")
        }
        pendingCRLDownloads = []
        let next = validation.resume(with: results)
        self.validation = validation
        return try judge(next, handshakeDone: SSL_is_init_finished(ssl) == 1)
    }

    private func judge(_ step: CertificateValidation.Step, handshakeDone: Bool) throws(GSSFailure) -> GSSStep {
        switch step {
        case .needCRLs(let urls):
            pendingCRLDownloads = urls
            return .needs(.crls(urls))
        case .finished(.invalid(let failure)):
            throw fail(Self.status(for: failure.error), failure.detail)
        case .finished(.valid(let chain)):
            peerCertificates = chain
            peerName = chain.first?.subject
            if handshakeDone { try finish() }
            defer { heldOutput = [] }
            return .token(heldOutput)
        }
    }

    private func finish() throws(GSSFailure) {
        var key = [UInt8](repeating: 0, count: InteropProfile.tlsExporterLength)
        defer { key.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        let label = InteropProfile.tlsExporterLabel
        let exported = key.withUnsafeMutableBufferPointer { out in
            SSL_export_keying_material(ssl, out.baseAddress, out.count, label, label.utf8.count, nil, 0, 0)
        }
        guard exported == 1 else { throw fail(.secEInternalError, "the TLS exporter failed") }
        sessionKey = SecretBytes(key)
        isComplete = true
    }

    /// The GSS-APIsecret in `form`: the exporter's output, or, made when asked (only
    /// calibration asks), the other candidates; nil before the handshake is complete.
    public func sessionKey(_ form: TLSSecretForm) -> SecretBytes? {
        guard isComplete else { return nil }
        let derive: (OpaquePointer, UnsafeMutablePointer<UInt8>, Int) -> Int32
        let length: Int
        switch form {
        case .exporter: return sessionKey
        case .eapKeyMaterial: (derive, length) = (authip_tls_eap_key, 64)
        case .masterSecret: (derive, length) = (authip_tls_master_secret, 48)
        }
        var key = [UInt8](repeating: 0, count: length)
        defer { key.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        guard derive(ssl, &key, length) == 1 else { return nil }
        return SecretBytes(key)
    }

    private func fail(_ status: WindowsError, _ detail: String) -> GSSFailure {
        failed = true
        return GSSFailure(status, detail)
    }

    /// The TLS version the handshake settled on, once it has.
    public var negotiatedVersion: TLSVersion? {
        isComplete ? TLSVersion(rawValue: SSL_version(ssl)) : nil
    }

    private func drain() -> [UInt8] {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { break }
            output.append(contentsOf: buffer[0..<Int(n)])
        }
        return output
    }

    /// The certificates the peer sent after its own (the client's list includes its leaf on
    /// the client side only, so compare by encoding).
    private func peerIntermediates() -> [Certificate] {
        guard let stack = SSL_get_peer_cert_chain(ssl), let leaf = SSL_get0_peer_certificate(ssl) else { return [] }
        var result: [Certificate] = []
        for index in 0..<authip_sk_X509_num(stack) {
            let x = authip_sk_X509_value(stack, index)!
            if X509_cmp(x, leaf) != 0 { result.append(Certificate(retaining: x)) }
        }
        return result
    }

    /// The SSPI status Schannel reports for a chain that fails validation.
    static func status(for error: WindowsError) -> WindowsError {
        switch error {
        case .certERevoked: return .cryptERevoked
        case .certEExpired: return .secECertExpired
        case .certEUntrustedroot, .certEChaining: return .secEUntrustedRoot
        case .certEWrongUsage: return .secECertWrongUsage
        case .cryptERevocationOffline, .cryptENoRevocationCheck: return error
        default: return .secECertUnknown
        }
    }

    /// One SSL_CTX per role for the process: TLS 1.2 unless a configuration allows others (set
    /// per connection), no tickets or renegotiation.
    private static let contexts: [GSSRole: Fetched] = {
        OpenSSLProviders.load()
        var table: [GSSRole: Fetched] = [:]
        for role in [GSSRole.initiator, .acceptor] {
            guard let ctx = SSL_CTX_new(role == .initiator ? TLS_client_method() : TLS_server_method()) else {
                continue
            }
            _ = authip_SSL_CTX_set_versions(ctx, TLS1_2_VERSION, TLS1_2_VERSION)
            authip_SSL_CTX_set_single_handshake(ctx)
            table[role] = Fetched(pointer: ctx)
        }
        return table
    }()

    private struct Fetched: @unchecked Sendable { let pointer: OpaquePointer }

    private static func sharedContext(for role: GSSRole) -> OpaquePointer? { contexts[role]?.pointer }

    /// Creates the process's TLS set-up now. Making it draws random bytes (ticket keys), so a
    /// replay (`OpenSSLRandom.useSeeded`) calls this first to start every run from the same
    /// stream.
    public static func prepare() { _ = contexts }
}

/// Chooses the local certificate to present: on the client, the first identity issued
/// (directly or through its intermediates) by a CA the server listed, or the first identity
/// when it listed none; on the server, the first identity.
final class IdentitySelection {
    let identities: [TLSIdentity]
    var failedSelection = false

    init(identities: [TLSIdentity]) { self.identities = identities }

    static let callback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { ssl, argument in
        guard let ssl, let argument else { return 0 }
        let selection = Unmanaged<IdentitySelection>.fromOpaque(argument).takeUnretainedValue()
        var accepted: [UInt] = []
        // Only a client learns which CAs its peer accepts (from the CertificateRequest); on a
        // server this list is its own.
        if SSL_is_server(ssl) == 0, let names = SSL_get_client_CA_list(ssl) {
            for index in 0..<authip_sk_X509_NAME_num(names) {
                accepted.append(X509_NAME_hash_ex(authip_sk_X509_NAME_value(names, index), nil, nil, nil))
            }
        }
        let chosen =
            accepted.isEmpty
            ? selection.identities.first
            : selection.identities.first { identity in accepted.contains(where: identity.isIssued(byNameHash:)) }
        guard let chosen else {
            selection.failedSelection = true
            return 0
        }
        return SSL_use_cert_and_key(ssl, chosen.x509, chosen.key, chosen.chainStack, 1)
    }
}
