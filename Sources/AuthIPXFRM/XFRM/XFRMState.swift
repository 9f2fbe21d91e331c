import AuthIP
import AuthIPSADatabase
import AuthIPWire
import CXFRM

/// The XFRM state (the kernel's SA) of one direction of a Quick Mode SA: `XFRM_MSG_NEWSA` with
/// the ESP algorithms and keys, the lifetimes, the replay window, the `reqid` its policies
/// name, and with NAT traversal the UDP encapsulation.
public struct XFRMState: Sendable {
    public var sa: IPsecSA
    public var reqid: UInt32
    /// Inbound replay protection, in packets (at most 32 without extended sequence numbers).
    public var replayWindow: UInt8
    /// Seconds the kernel keeps the SA past the lifetime the engine removes it at, so that only
    /// a stalled daemon ever meets the kernel's own hard limit.
    public var hardLifetimeGrace: UInt64

    public init(_ sa: IPsecSA, reqid: UInt32, replayWindow: UInt8 = 32, hardLifetimeGrace: UInt64 = 60) {
        self.sa = sa
        self.reqid = reqid
        self.replayWindow = replayWindow
        self.hardLifetimeGrace = hardLifetimeGrace
    }

    /// The kernel's names and key layout of the SA's algorithms.
    public struct Algorithms: Sendable, Hashable {
        /// `XFRMA_ALG_CRYPT` (or `XFRMA_ALG_AEAD` with `icvBits`).
        public var cipher: String
        public var icvBits: UInt32?
        /// `XFRMA_ALG_AUTH_TRUNC` and its truncation in bits; nil for an AEAD cipher.
        public var integrity: String?
        public var truncationBits: UInt32
    }

    /// The kernel's algorithms for an ESP cipher and integrity pair; nil when the kernel has
    /// none for it (ESP without encryption and without integrity).
    public static func algorithms(_ cipher: ESPCipher, _ integrity: ESPIntegrity) -> Algorithms? {
        if cipher.isAEAD {
            return Algorithms(cipher: "rfc4106(gcm(aes))", icvBits: 128, integrity: nil, truncationBits: 0)
        }
        let name: String
        switch cipher {
        case .none: name = "ecb(cipher_null)"
        case .tripleDES: name = "cbc(des3_ede)"
        case .aes128, .aes192, .aes256: name = "cbc(aes)"
        case .aesGCM128, .aesGCM192, .aesGCM256: return nil
        }
        // RFC 2404 and RFC 4868: HMAC-SHA-1 and -MD5 truncated to 96 bits, SHA-2 to half.
        let auth: (name: String?, bits: UInt32)
        switch integrity {
        case .none: auth = (nil, 0)
        case .md5: auth = ("hmac(md5)", 96)
        case .sha1: auth = ("hmac(sha1)", 96)
        case .sha256: auth = ("hmac(sha256)", 128)
        case .sha384: auth = ("hmac(sha384)", 192)
        }
        if cipher == .none && auth.name == nil { return nil }
        return Algorithms(cipher: name, icvBits: nil, integrity: auth.name, truncationBits: auth.bits)
    }

    /// The address the kernel files the SA under: its outer destination.
    public var destination: IPAddress { sa.outerDestination.ip }

    /// `XFRM_MSG_NEWSA`. Throws `unsupported` for an algorithm pair the kernel has no name for.
    public func add() throws(XFRMDataPlaneError) -> NetlinkMessage {
        guard let algorithms = Self.algorithms(sa.cipher, sa.integrity) else {
            throw .unsupported("ESP with \(sa.cipher.rawValue) and \(sa.integrity.rawValue)")
        }
        var info = xfrm_usersa_info()
        let inner = sa.source.addresses.first
        let outer = sa.outerSource.ip
        info.sel.family = XFRMAddress.family(inner)
        if !sa.encapsulation.isTunnel {
            let selectors = XFRMSelector.covering(source: sa.source, destination: sa.destination)
            if selectors.count == 1 { info.sel = selectors[0].raw }
        }
        info.id.daddr = XFRMAddress.raw(sa.outerDestination.ip)
        info.id.spi = sa.spi.bigEndian
        info.id.proto = UInt8(IPPROTO_ESP)
        info.saddr = XFRMAddress.raw(outer)
        info.lft = lifetime
        info.reqid = reqid
        info.family = XFRMAddress.family(outer)
        info.mode = sa.encapsulation.isTunnel ? XFRMTemplate.Mode.tunnel.rawValue : XFRMTemplate.Mode.transport.rawValue
        info.replay_window = replayWindow
        if XFRMAddress.family(inner) != info.family { info.flags |= UInt8(XFRM_STATE_AF_UNSPEC) }
        var payload = NetlinkPayload(info)
        let key = sa.encryptionKey.bytes
        if let icv = algorithms.icvBits {
            var aead = xfrm_algo_aead()
            XFRMState.name(algorithms.cipher, into: &aead.alg_name)
            aead.alg_key_len = UInt32(key.count * 8)
            aead.alg_icv_len = icv
            payload.append(NetlinkAttribute(type: Int(XFRMA_ALG_AEAD.rawValue), aead, trailing: key))
        } else {
            var crypt = xfrm_algo()
            XFRMState.name(algorithms.cipher, into: &crypt.alg_name)
            crypt.alg_key_len = UInt32(key.count * 8)
            payload.append(NetlinkAttribute(type: Int(XFRMA_ALG_CRYPT.rawValue), crypt, trailing: key))
            if let name = algorithms.integrity {
                let integrityKey = sa.integrityKey.bytes
                var auth = xfrm_algo_auth()
                XFRMState.name(name, into: &auth.alg_name)
                auth.alg_key_len = UInt32(integrityKey.count * 8)
                auth.alg_trunc_len = algorithms.truncationBits
                payload.append(
                    NetlinkAttribute(type: Int(XFRMA_ALG_AUTH_TRUNC.rawValue), auth, trailing: integrityKey))
            }
        }
        if sa.udpEncapsulated {
            var encap = xfrm_encap_tmpl()
            encap.encap_type = UInt16(UDP_ENCAP_ESPINUDP)
            encap.encap_sport = sa.outerSource.port.bigEndian
            encap.encap_dport = sa.outerDestination.port.bigEndian
            payload.append(NetlinkAttribute(type: Int(XFRMA_ENCAP.rawValue), encap))
        }
        return NetlinkMessage(type: UInt16(XFRM_MSG_NEWSA), flags: XFRMRequest.change, payload: payload.bytes)
    }

    /// Soft byte limit at the SA's kilobyte lifetime (the kernel's EXPIRE then reports the
    /// count, the engine decides), hard limits a tenth (at least 1 MiB: one packet must never
    /// cross both at once, or the kernel reports only the hard one) and a grace period past
    /// the engine's.
    var lifetime: xfrm_lifetime_cfg {
        var lifetime = XFRMLifetime.unlimited
        if sa.lifetimeKilobytes > 0 {
            let bytes = UInt64(sa.lifetimeKilobytes) * 1024
            lifetime.soft_byte_limit = bytes
            lifetime.hard_byte_limit = bytes + max(bytes / 10, 1 << 20)
        }
        if sa.lifetimeSeconds > 0 { lifetime.hard_add_expires_seconds = UInt64(sa.lifetimeSeconds) + hardLifetimeGrace }
        return lifetime
    }

    /// Identifies one kernel SA: outer destination, SPI, ESP.
    public struct ID: Sendable, Hashable, CustomStringConvertible {
        public var destination: IPAddress
        public var spi: UInt32

        public init(destination: IPAddress, spi: UInt32) {
            self.destination = destination
            self.spi = spi
        }

        public var description: String { "SA spi 0x\(String(spi, radix: 16)) to \(destination)" }

        var raw: xfrm_usersa_id {
            var id = xfrm_usersa_id()
            id.daddr = XFRMAddress.raw(destination)
            id.spi = spi.bigEndian
            id.family = XFRMAddress.family(destination)
            id.proto = UInt8(IPPROTO_ESP)
            return id
        }

        /// `XFRM_MSG_DELSA`.
        public var delete: NetlinkMessage {
            NetlinkMessage(type: UInt16(XFRM_MSG_DELSA), flags: XFRMRequest.change, payload: NetlinkPayload(raw).bytes)
        }

        /// `XFRM_MSG_GETSA`: the SA with its counters.
        public var get: NetlinkMessage {
            NetlinkMessage(
                type: UInt16(XFRM_MSG_GETSA), flags: UInt16(NLM_F_REQUEST), payload: NetlinkPayload(raw).bytes)
        }
    }

    public var id: ID { ID(destination: destination, spi: sa.spi) }

    /// `XFRM_MSG_GETSA` with `NLM_F_DUMP`: every SA.
    public static var dump: NetlinkMessage {
        NetlinkMessage(
            type: UInt16(XFRM_MSG_GETSA), flags: XFRMRequest.dump, payload: NetlinkPayload(xfrm_usersa_id()).bytes)
    }

    static func name<Name>(_ text: String, into field: inout Name) {
        withUnsafeMutableBytes(of: &field) { bytes in
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            bytes.copyBytes(from: Array(text.utf8.prefix(bytes.count - 1)))
        }
    }
}

/// What the kernel reports of an SA: in a dump, an answer to GETSA, or an EXPIRE.
public struct XFRMReportedState: Sendable, Hashable {
    public var id: XFRMState.ID
    public var source: IPAddress
    public var reqid: UInt32
    /// The bytes and packets it has carried.
    public var bytes: UInt64
    public var packets: UInt64
    /// The cipher's and integrity's kernel names.
    public var cipher: String?
    public var integrity: String?
    public var udpEncapsulated: Bool

    /// Parses `XFRM_MSG_NEWSA` (a dump or GETSA answer); nil for another type.
    public init?(_ message: NetlinkMessage) throws(NetlinkError) {
        guard message.type == XFRM_MSG_NEWSA || message.type == XFRM_MSG_UPDSA else { return nil }
        try self.init(payload: message, offset: 0, size: MemoryLayout<xfrm_usersa_info>.size)
    }

    init(payload message: NetlinkMessage, offset: Int, size: Int) throws(NetlinkError) {
        guard message.payload.count >= offset + MemoryLayout<xfrm_usersa_info>.size else {
            throw .malformed("an SA of \(message.payload.count) bytes")
        }
        let info: xfrm_usersa_info = NetlinkBytes.read(message.payload, at: offset)
        guard let destination = XFRMAddress.address(info.id.daddr, family: info.family),
            let source = XFRMAddress.address(info.saddr, family: info.family)
        else { throw .malformed("an SA of address family \(info.family)") }
        id = XFRMState.ID(destination: destination, spi: UInt32(bigEndian: info.id.spi))
        self.source = source
        reqid = info.reqid
        bytes = info.curlft.bytes
        packets = info.curlft.packets
        let attributes = try message.attributes(after: size)
        func name(_ type: xfrm_attr_type_t) -> String? {
            guard let value = attributes.first(where: { $0.type == type.rawValue })?.value, value.count >= 64 else {
                return nil
            }
            return String(decoding: value.prefix(64).prefix { $0 != 0 }, as: UTF8.self)
        }
        cipher = name(XFRMA_ALG_CRYPT) ?? name(XFRMA_ALG_AEAD)
        integrity = name(XFRMA_ALG_AUTH_TRUNC) ?? name(XFRMA_ALG_AUTH)
        udpEncapsulated = attributes.contains { $0.type == XFRMA_ENCAP.rawValue }
    }
}
