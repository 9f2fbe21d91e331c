import AuthIPCrypto
import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// What a TLS syslog receiver (RFC 5425) must prove, and what this side presents.
public struct SyslogTLS: Hashable, Sendable {
    /// The PEM file of the CAs the receiver's certificate must chain to.
    public var caFile: String
    /// The name the receiver's certificate must carry (DNS name or IP address).
    public var serverName: String
    /// A client certificate chain and its key (PEM), for receivers that ask for one.
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String, serverName: String, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.serverName = serverName
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// A stream connection to a syslog receiver, over TCP or TLS, with RFC 6587 octet-counting
/// framing (`LEN SP MSG`, as RFC 5425 frames TLS too). It connects when a message is to be
/// sent; a connection the receiver closed, or that fails, is made again once for that message. After a
/// failed attempt it waits `retryInterval` before trying again, so that a receiver that is
/// down costs one connection timeout, not one per record. Writes block for at most
/// `timeout`; a process using TLS must ignore SIGPIPE (the daemon does).
final class SyslogStream {
    static let timeout = timeval(tv_sec: 5, tv_usec: 0)
    static let retryInterval: Duration = .seconds(2)

    private let address: SyslogSocketAddress
    private let context: OpaquePointer?
    private let serverName: String?
    private var descriptor: Int32 = -1
    private var session: OpaquePointer?
    private var lastFailure: ContinuousClock.Instant?

    init(address: SyslogSocketAddress, tls: SyslogTLS?) throws(SyslogError) {
        self.address = address
        serverName = tls?.serverName
        guard let tls else {
            context = nil
            return
        }
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .tls("SSL_CTX_new failed") }
        self.context = context
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1,
            SSL_CTX_load_verify_locations(context, tls.caFile, nil) == 1
        else { throw .tls("cannot load the CA file \(tls.caFile): \(OpenSSL.lastError())") }
        if let certificate = tls.certificateFile {
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1,
                SSL_CTX_use_PrivateKey_file(context, tls.keyFile ?? certificate, SSL_FILETYPE_PEM) == 1,
                SSL_CTX_check_private_key(context) == 1
            else { throw .tls("cannot use the client certificate \(certificate): \(OpenSSL.lastError())") }
        }
    }

    deinit {
        disconnect()
        if let context { SSL_CTX_free(context) }
    }

    /// Sends one message, framed.
    func send(_ message: [UInt8]) throws(SyslogError) {
        let framed = Array("\(message.count) ".utf8) + message
        if descriptor >= 0, !receiverClosed(), (try? write(framed)) != nil { return }
        disconnect()
        try connect()
        do {
            try write(framed)
        } catch {
            disconnect()
            throw error
        }
    }

    private func connect() throws(SyslogError) {
        if let lastFailure, ContinuousClock.now - lastFailure < Self.retryInterval {
            throw .connect("the receiver was unreachable less than \(Self.retryInterval) ago")
        }
        do {
            try open()
            lastFailure = nil
        } catch {
            disconnect()
            lastFailure = .now
            throw error
        }
    }

    private func open() throws(SyslogError) {
        descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .socket(errno: errno) }
        var limit = Self.timeout
        for option in [SO_SNDTIMEO, SO_RCVTIMEO] {
            setsockopt(descriptor, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        // A blocking connect is bounded by the send timeout on Linux.
        guard address.withSockaddr({ Glibc.connect(descriptor, $0, $1) }) == 0 else {
            throw .connect(String(cString: strerror(errno)))
        }
        guard let context else { return }
        guard let session = SSL_new(context) else { throw .tls("SSL_new failed") }
        self.session = session
        let name = serverName ?? ""
        SSL_set_fd(session, descriptor)
        _ = name.withCString {
            SSL_ctrl(
                session, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name),
                UnsafeMutableRawPointer(mutating: $0))
        }
        let checked =
            name.contains(":") || name.allSatisfy({ $0.isNumber || $0 == "." })
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(session), name) : SSL_set1_host(session, name)
        guard checked == 1 else { throw .tls("cannot check the receiver's name \(name)") }
        guard SSL_connect(session) == 1 else {
            let verification = SSL_get_verify_result(session)
            let reason =
                verification != X509_V_OK
                ? String(cString: X509_verify_cert_error_string(verification)) : OpenSSL.lastError()
            throw .tls("handshake with \(name) failed: \(reason)")
        }
    }

    private func write(_ bytes: [UInt8]) throws(SyslogError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { buffer -> Int in
                if let session { return Int(SSL_write(session, buffer.baseAddress, Int32(buffer.count))) }
                return Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                sent += n
            } else if session == nil && errno == EINTR {
                continue
            } else {
                throw .send(errno: errno)
            }
        }
    }

    /// Whether the receiver has closed its side: it never sends, so anything to read (its
    /// end of file, a TLS alert) means the connection is done, before a write would be lost on it.
    private func receiverClosed() -> Bool {
        var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    private func disconnect() {
        if let session {
            SSL_free(session)
            self.session = nil
        }
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
    }
}
