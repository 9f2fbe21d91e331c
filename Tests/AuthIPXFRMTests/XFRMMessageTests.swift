import AuthIP
import AuthIPCrypto
import AuthIPSADatabase
import AuthIPWire
import CXFRM
import Glibc
import Testing

@testable import AuthIPXFRM

/// What the data plane puts on the netlink socket and reads from it, byte for byte, without a kernel.
@Suite("XFRM netlink messages")
struct XFRMMessageTests {
    @Test("An ESP SA in tunnel mode: SPI, outer addresses, algorithms with their truncation, keys, lifetimes, reqid")
    func newSA() throws {
        let sa = XFRMFixture.sa(cipher: .aes256, integrity: .sha256, lifetimeKilobytes: 100_000)
        let message = try XFRMState(sa, reqid: 0xA101_0001).add()
        #expect(message.type == XFRM_MSG_NEWSA)
        #expect(message.flags == UInt16(NLM_F_REQUEST | NLM_F_ACK))
        let info: xfrm_usersa_info = NetlinkBytes.read(message.payload, at: 0)
        #expect(UInt32(bigEndian: info.id.spi) == 0x1234_5678)
        #expect(info.id.proto == UInt8(IPPROTO_ESP))
        #expect(info.family == UInt16(AF_INET6))
        #expect(info.mode == 1)
        #expect(info.reqid == 0xA101_0001)
        #expect(info.replay_window == 32)
        #expect(info.lft.soft_byte_limit == 100_000 * 1024)
        #expect(info.lft.hard_byte_limit == 100_000 * 1024 + 100_000 * 1024 / 10)
        #expect(info.lft.hard_add_expires_seconds == 3600 + 60)
        #expect(info.lft.soft_add_expires_seconds == 0)
        #expect(info.lft.hard_packet_limit == UInt64.max)
        // A small lifetime keeps 1 MiB between its limits.
        let small = try XFRMState(XFRMFixture.sa(cipher: .aes128, integrity: .sha1, lifetimeKilobytes: 64), reqid: 1)
            .add()
        let smallInfo: xfrm_usersa_info = NetlinkBytes.read(small.payload, at: 0)
        #expect(smallInfo.lft.hard_byte_limit - smallInfo.lft.soft_byte_limit == 1 << 20)
        // The kernel's own answer to GETSA has this layout: the same parser reads both.
        let reported = try #require(try XFRMReportedState(message))
        #expect(reported.id == XFRMState.ID(destination: IPAddress("2002:c612:1::c612:1")!, spi: 0x1234_5678))
        #expect(reported.source == IPAddress("2002:836b:2::836b:2")!)
        #expect(reported.cipher == "cbc(aes)")
        #expect(reported.integrity == "hmac(sha256)")
        #expect(!reported.udpEncapsulated)
        let attributes = try message.attributes(after: MemoryLayout<xfrm_usersa_info>.size)
        let crypt = try #require(attributes.first { $0.type == XFRMA_ALG_CRYPT.rawValue })
        let algo = try #require(crypt.read(xfrm_algo.self))
        #expect(algo.alg_key_len == 256)
        #expect(Array(crypt.value.suffix(32)) == [UInt8](repeating: 0xE1, count: 32))
        let auth = try #require(attributes.first { $0.type == XFRMA_ALG_AUTH_TRUNC.rawValue })
        let authAlgo = try #require(auth.read(xfrm_algo_auth.self))
        #expect(authAlgo.alg_key_len == 256)
        #expect(authAlgo.alg_trunc_len == 128)
        #expect(Array(auth.value.suffix(32)) == [UInt8](repeating: 0xA1, count: 32))
        // The netlink length covers header and payload, padded to 4 bytes.
        #expect(message.encoded.count % 4 == 0)
        #expect(
            try NetlinkMessage.parse(message.encoded) == [
                NetlinkMessage(
                    type: message.type, flags: message.flags, payload: message.payload)
            ])
    }

    @Test("Truncation per RFC 2404 and 4868, AES-GCM as rfc4106 with a 128-bit ICV and the salt in the key")
    func algorithms() throws {
        #expect(XFRMState.algorithms(.aes128, .sha1)?.integrity == "hmac(sha1)")
        #expect(XFRMState.algorithms(.aes128, .sha1)?.truncationBits == 96)
        #expect(XFRMState.algorithms(.aes128, .md5)?.truncationBits == 96)
        #expect(XFRMState.algorithms(.aes192, .sha384)?.truncationBits == 192)
        #expect(XFRMState.algorithms(.tripleDES, .sha1)?.cipher == "cbc(des3_ede)")
        #expect(XFRMState.algorithms(.none, .sha256)?.cipher == "ecb(cipher_null)")
        #expect(XFRMState.algorithms(.none, .none) == nil)
        let gcm = XFRMFixture.sa(cipher: .aesGCM128, integrity: .none)
        let message = try XFRMState(gcm, reqid: 1).add()
        let attributes = try message.attributes(after: MemoryLayout<xfrm_usersa_info>.size)
        let aead = try #require(attributes.first { $0.type == XFRMA_ALG_AEAD.rawValue })
        let algo = try #require(aead.read(xfrm_algo_aead.self))
        #expect(algo.alg_key_len == 160)
        #expect(algo.alg_icv_len == 128)
        #expect(
            !attributes.contains { $0.type == XFRMA_ALG_CRYPT.rawValue || $0.type == XFRMA_ALG_AUTH_TRUNC.rawValue })
        #expect(throws: XFRMDataPlaneError.self) {
            try XFRMState(XFRMFixture.sa(cipher: .none, integrity: .none), reqid: 1).add()
        }
    }

    @Test("NAT traversal: ESP in UDP from 4500 to the peer's mapped port; transport mode keeps its host selector")
    func encapsulation() throws {
        var sa = XFRMFixture.sa(cipher: .aes128, integrity: .sha1)
        sa.udpEncapsulated = true
        sa.outerSource.port = 4500
        sa.outerDestination.port = 61_001
        sa.encapsulation = .transport
        sa.source = TrafficSelector(AddressRange(IPAddress("2002:836b:2::836b:2")!))
        sa.destination = TrafficSelector(AddressRange(IPAddress("2002:c612:1::c612:1")!), ipProtocol: 17, port: 53)
        let message = try XFRMState(sa, reqid: 7).add()
        let info: xfrm_usersa_info = NetlinkBytes.read(message.payload, at: 0)
        #expect(info.mode == 0)
        #expect(info.sel.prefixlen_s == 128 && info.sel.prefixlen_d == 128)
        #expect(info.sel.proto == 17 && UInt16(bigEndian: info.sel.dport) == 53 && info.sel.dport_mask == 0xffff)
        let attributes = try message.attributes(after: MemoryLayout<xfrm_usersa_info>.size)
        let encap = try #require(attributes.first { $0.type == XFRMA_ENCAP.rawValue }?.read(xfrm_encap_tmpl.self))
        #expect(encap.encap_type == UInt16(UDP_ENCAP_ESPINUDP))
        #expect(UInt16(bigEndian: encap.encap_sport) == 4500)
        #expect(UInt16(bigEndian: encap.encap_dport) == 61_001)
        #expect(try XFRMReportedState(message)?.udpEncapsulated == true)
    }

    @Test("A policy goes out as UPDPOLICY with its template and reads back the same; a bypass has no template")
    func policies() throws {
        let selector = XFRMSelector(
            source: XFRMPrefix(IPAddress("2001:db8:1::")!, length: 48),
            destination: XFRMPrefix(IPAddress("2002:c612:1::c612:1")!, length: 128))
        let policy = XFRMPolicy(
            selector: selector, direction: .forward, priority: 100_256,
            template: XFRMTemplate(
                mode: .tunnel, outerSource: IPAddress("2002:836b:2::836b:2")!,
                outerDestination: IPAddress("2002:c612:1::c612:1")!, reqid: 0xA101_0002))
        let message = policy.update
        #expect(message.type == XFRM_MSG_UPDPOLICY)
        #expect(try XFRMPolicy(reported: message) == policy)
        let bypass = XFRMDataPlane.bypasses[0]
        #expect(try XFRMPolicy(reported: bypass.update) == bypass)
        #expect(XFRMDataPlane.owns(bypass))
        #expect(XFRMDataPlane.owns(policy))
        var foreign = policy
        foreign.template?.reqid = 5
        #expect(!XFRMDataPlane.owns(foreign))
        let delete = XFRMPolicy.delete(selector, .forward)
        let id: xfrm_userpolicy_id = NetlinkBytes.read(delete.payload, at: 0)
        #expect(id.dir == 2 && id.sel.prefixlen_s == 48 && id.sel.family == UInt16(AF_INET6))
    }

    @Test("Address ranges become the fewest exact prefixes")
    func prefixes() {
        func covering(_ first: String, _ last: String) -> [String] {
            XFRMPrefix.covering(AddressRange(first: IPAddress(first)!, last: IPAddress(last)!)!).map(\.description)
        }
        #expect(covering("10.0.0.0", "10.0.0.255") == ["10.0.0.0/24"])
        #expect(covering("10.0.0.1", "10.0.0.6") == ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"])
        #expect(covering("0.0.0.0", "255.255.255.255") == ["0.0.0.0/0"])
        #expect(covering("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff") == ["2001:db8::/64"])
        #expect(covering("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == ["::/0"])
        #expect(covering("2001:db8::5", "2001:db8::5") == ["2001:db8::5/128"])
        #expect(covering("2001:db8::ffff", "2001:db8::1:0").count == 2)
    }

    @Test("ACQUIRE names the packet's traffic; EXPIRE tells soft from hard and carries the byte count")
    func notifications() throws {
        var acquire = xfrm_user_acquire()
        acquire.sel =
            XFRMSelector(
                source: XFRMPrefix(IPAddress("2001:db8:1:8000::5")!, length: 128),
                destination: XFRMPrefix(IPAddress("2002:c612:1::c612:1")!, length: 128), ipProtocol: 58
            ).raw
        var payload = NetlinkPayload(acquire)
        payload.append(
            NetlinkAttribute(type: Int(XFRMA_TMPL.rawValue), XFRMTemplate(mode: .tunnel, reqid: 0xA100_0002).raw))
        let notification = try XFRMNotification(NetlinkMessage(type: UInt16(XFRM_MSG_ACQUIRE), payload: payload.bytes))
        #expect(
            notification
                == .acquire(
                    TrafficRequest(
                        source: IPAddress("2001:db8:1:8000::5")!, destination: IPAddress("2002:c612:1::c612:1")!,
                        ipProtocol: 58),
                    reqid: 0xA100_0002))

        let add = try XFRMState(XFRMFixture.sa(cipher: .aes128, integrity: .sha1), reqid: 9).add()
        var info: xfrm_usersa_info = NetlinkBytes.read(add.payload, at: 0)
        info.curlft.bytes = 5_000
        for hard in [false, true] {
            var expire = xfrm_user_expire()
            expire.state = info
            expire.hard = hard ? 1 : 0
            let parsed = try XFRMNotification(
                NetlinkMessage(type: UInt16(XFRM_MSG_EXPIRE), payload: NetlinkPayload(expire).bytes))
            guard case .expire(let reported, let isHard)? = parsed else {
                Issue.record("not an expire: \(String(describing: parsed))")
                continue
            }
            #expect(isHard == hard)
            #expect(reported.bytes == 5_000)
            #expect(reported.id.spi == 0x1234_5678)
        }
        #expect(try XFRMNotification(NetlinkMessage(type: UInt16(XFRM_MSG_NEWSA), payload: add.payload)) == nil)
    }

    @Test("Hostile or broken answers: lengths past the datagram, short structures, the kernel's errors")
    func malformed() throws {
        var header = nlmsghdr(nlmsg_len: 200, nlmsg_type: 16, nlmsg_flags: 0, nlmsg_seq: 1, nlmsg_pid: 0)
        #expect(throws: NetlinkError.self) { try NetlinkMessage.parse(NetlinkBytes.of(&header)) }
        header.nlmsg_len = 4
        #expect(throws: NetlinkError.self) { try NetlinkMessage.parse(NetlinkBytes.of(&header)) }
        #expect(throws: NetlinkError.self) {
            try XFRMNotification(NetlinkMessage(type: UInt16(XFRM_MSG_ACQUIRE), payload: [1, 2, 3]))
        }
        #expect(throws: NetlinkError.self) {
            try XFRMNotification(
                NetlinkMessage(type: UInt16(XFRM_MSG_EXPIRE), payload: [UInt8](repeating: 0, count: 100)))
        }
        // An attribute claiming more than is there.
        var bad = NetlinkPayload(xfrm_userpolicy_info()).bytes
        bad += [0xff, 0x00, 0x05, 0x00]
        #expect(throws: NetlinkError.self) {
            try XFRMPolicy(reported: NetlinkMessage(type: UInt16(XFRM_MSG_NEWPOLICY), payload: bad))
        }
        // NLMSG_ERROR: 0 is an acknowledgement, a negative errno a refusal.
        var error = nlmsgerr()
        error.error = -EEXIST
        guard
            case .refused(let code) = try NetlinkAnswer(
                NetlinkMessage(type: UInt16(NLMSG_ERROR), payload: NetlinkBytes.of(&error)))
        else {
            Issue.record("not a refusal")
            return
        }
        #expect(code == EEXIST)
        error.error = 0
        guard
            case .acknowledged = try NetlinkAnswer(
                NetlinkMessage(type: UInt16(NLMSG_ERROR), payload: NetlinkBytes.of(&error)))
        else {
            Issue.record("not an acknowledgement")
            return
        }
        #expect(NetlinkError.refused("add SA", errno: EEXIST).description.contains("File exists"))
    }
}

enum XFRMFixture {
    static func sa(
        cipher: ESPCipher, integrity: ESPIntegrity, direction: IPsecSA.Direction = .outbound,
        spi: UInt32 = 0x1234_5678, quickModeSAID: UInt64 = 7, lifetimeKilobytes: UInt32 = 0
    ) -> IPsecSA {
        let server = IPAddress("2002:836b:2::836b:2")!, client = IPAddress("2002:c612:1::c612:1")!
        let local = TrafficSelector(AddressRange("2001:db8:1::/48")!), remote = TrafficSelector(AddressRange(client))
        return IPsecSA(
            direction: direction, spi: spi, quickModeSAID: quickModeSAID,
            source: direction == .outbound ? local : remote, destination: direction == .outbound ? remote : local,
            encapsulation: .tunnel(local: server, remote: client),
            outerSource: EndpointAddress(direction == .outbound ? server : client),
            outerDestination: EndpointAddress(direction == .outbound ? client : server), udpEncapsulated: false,
            cipher: cipher, integrity: integrity,
            encryptionKey: SecretBytes([UInt8](repeating: 0xE1, count: cipher.keyLength)),
            integrityKey: SecretBytes([UInt8](repeating: 0xA1, count: integrity.keyLength)), lifetimeSeconds: 3600,
            lifetimeKilobytes: lifetimeKilobytes)
    }
}

/// What the kernel sends is parsed as untrusted bytes: random datagrams, and valid messages with
/// bytes flipped, lengths changed and tails cut, must give a value or a typed error, never a trap.
@Suite("XFRM netlink parsing of hostile bytes")
struct XFRMHostileBytesTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    }

    /// Every parser the data plane runs on a message from the socket.
    static func parseAll(_ datagram: [UInt8]) {
        guard let messages = try? NetlinkMessage.parse(datagram) else { return }
        for message in messages {
            _ = try? XFRMNotification(message)
            _ = try? XFRMPolicy(reported: message)
            _ = try? XFRMReportedState(message)
            _ = try? NetlinkAnswer(message)
            _ = try? message.attributes(after: 0)
        }
    }

    @Test("Random datagrams and mutated valid messages: values or typed errors")
    func mutations() throws {
        var random = Generator(state: 0x9E37_79B9_7F4A_7C15)
        var acquire = xfrm_user_acquire()
        acquire.sel =
            XFRMSelector(
                source: XFRMPrefix(IPAddress("2001:db8:1:8000::5")!, length: 128),
                destination: XFRMPrefix(IPAddress("2002:c612:1::c612:1")!, length: 128)
            ).raw
        var acquirePayload = NetlinkPayload(acquire)
        acquirePayload.append(
            NetlinkAttribute(type: Int(XFRMA_TMPL.rawValue), XFRMTemplate(mode: .tunnel, reqid: 1).raw))
        var expire = xfrm_user_expire()
        expire.state.family = UInt16(AF_INET6)
        let seeds: [NetlinkMessage] = [
            try XFRMState(XFRMFixture.sa(cipher: .aes256, integrity: .sha256), reqid: 3).add(),
            try XFRMState(XFRMFixture.sa(cipher: .aesGCM128, integrity: .none), reqid: 3).add(),
            XFRMDataPlane.bypasses[0].update,
            NetlinkMessage(type: UInt16(XFRM_MSG_ACQUIRE), payload: acquirePayload.bytes),
            NetlinkMessage(type: UInt16(XFRM_MSG_EXPIRE), payload: NetlinkPayload(expire).bytes),
        ].map { message in
            // As the kernel answers: the request types turned into reports.
            var report = message
            if report.type == XFRM_MSG_UPDPOLICY { report.type = UInt16(XFRM_MSG_NEWPOLICY) }
            return report
        }
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 4 == 0 {
                bytes = (0..<random.below(600)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if bytes.count >= 16, round % 8 == 0 {
                    // A header whose length fits, so the parsers behind it run on the noise.
                    let length = UInt32(bytes.count)
                    withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
                    let type = [XFRM_MSG_ACQUIRE, XFRM_MSG_EXPIRE, XFRM_MSG_NEWSA, XFRM_MSG_NEWPOLICY][round / 8 % 4]
                    withUnsafeBytes(of: UInt16(type).littleEndian) { bytes.replaceSubrange(4..<6, with: $0) }
                }
            } else {
                bytes = seeds[random.below(seeds.count)].encoded
                for _ in 0..<(1 + random.below(8)) {
                    switch random.below(4) {
                    case 0: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                    case 1: bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
                    case 2:
                        // An attribute or header length field set to something else.
                        let at = random.below(max(bytes.count - 1, 1))
                        if at + 1 < bytes.count {
                            bytes[at] = UInt8(truncatingIfNeeded: random.next())
                            bytes[at + 1] = UInt8(truncatingIfNeeded: random.next() & 0x1)
                        }
                    default: bytes += (0..<random.below(40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                    }
                    if bytes.isEmpty { break }
                }
            }
            Self.parseAll(bytes)
        }
        // An error code no kernel sends.
        var error = nlmsgerr()
        error.error = .min
        Self.parseAll(NetlinkMessage(type: UInt16(NLMSG_ERROR), payload: NetlinkBytes.of(&error)).encoded)
        // The seeds themselves still parse.
        for seed in seeds { #expect((try? NetlinkMessage.parse(seed.encoded))?.count == 1) }
    }
}
