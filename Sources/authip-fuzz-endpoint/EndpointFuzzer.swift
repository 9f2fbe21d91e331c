import AuthIP
import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPWire
import Foundation

/// Structure-aware fuzzing of whole endpoints. A real negotiation (Anonymous Main Mode, first
/// Quick Mode, NTLMv2 Extended Mode, a later Quick Mode and a delete) is recorded once; every
/// message of it, at both roles, becomes a point where the fuzzer replaces the message's
/// payloads: the input names the point, then gives the seqNUM and the plaintext payload chain,
/// which the target frames with the recorded header and, for encrypted messages, seals with
/// the session's own keys, so that mutations reach the Main, Quick, Extended Mode and Notify
/// code behind the Crypto payload. After each input the endpoint runs its timers two days on:
/// nothing may trap, and nothing may be left — no session, no SA.
struct EndpointFuzzer {
    struct Point {
        /// The receiving endpoint just before the message arrived, and the wake-up time it
        /// had asked its driver for.
        var endpoint: Endpoint
        var wakeUp: Date?
        var header: ISAKMPHeader
        var from: EndpointAddress
        var to: EndpointAddress
        /// The keys that protect the message, when it is encrypted.
        var protection: CryptoPayloadProtection?
        /// The recorded message: its seqNUM and plaintext chain (the seed of the corpus).
        var sequence: UInt32
        var firstPayload: PayloadType
        var chain: [UInt8]
    }

    static let start = Date(timeIntervalSince1970: 1_795_000_000)
    let points: [Point]

    init() {
        let directory = try! JSONAccountDirectory(
            json: """
                {"domain": "CORP", "accounts": [{"name": "CLIENT1$", "kind": "computer", "enabled": true, "password": "pw", "groups": []}]}
                """)
        let ntlm = NTLMAcceptorSetup(
            configuration: NTLMAcceptorConfiguration(
                netbiosDomainName: "CORP", netbiosComputerName: "SERVER",
                dnsDomainName: "corp.test", dnsComputerName: "server.corp.test"),
            directory: directory)
        let client = IPAddress("2001:db8::7")!, server = IPAddress("2001:db8::1")!
        func endpoint(
            _ name: String, local: IPAddress, remote: AddressRange, em: AuthenticationProposal, seed: UInt64
        ) -> Endpoint {
            let rule = ConnectionSecurityRule(
                name: name, local: TrafficSelector(AddressRange(local)), remote: TrafficSelector(remote),
                mainModeAuthentication: AuthenticationSet([.anonymous]),
                extendedMode: ExtendedModePolicy(authentication: AuthenticationSet([em])))
            return Endpoint(
                configuration: EndpointConfiguration(
                    computerName: name, principalName: "host/server@CORP", rules: [rule]),
                random: SeededRandomSource(seed: seed), now: Self.start)
        }
        var endpoints = [
            endpoint(
                "CLIENT", local: client, remote: AddressRange(server),
                em: .ntlm(
                    initiator: NTLMCredentials(user: "CLIENT1$", domain: "CORP", password: "pw", workstation: "CLIENT"),
                    acceptor: nil), seed: 1),
            endpoint("SERVER", local: server, remote: .allIPv6, em: .ntlm(initiator: nil, acceptor: ntlm), seed: 2),
        ]
        var points: [Point] = []
        var wakeUps: [Date?] = [nil, nil]
        var queue: [(Int, EndpointInput)] = [(0, .acquire(TrafficRequest(source: client, destination: server)))]
        var now = Self.start
        func deliver(_ index: Int, _ input: EndpointInput) {
            if case .datagram(let bytes, let from, let to) = input,
                var point = Self.point(endpoints[index], bytes, from, to)
            {
                point.wakeUp = wakeUps[index]
                points.append(point)
            }
            for output in endpoints[index].handle(input, now: now) {
                switch output {
                case .send(let bytes, let from, let to): queue.append((1 - index, .datagram(bytes, from: from, to: to)))
                case .wakeUp(let time): wakeUps[index] = time
                default: break
                }
            }
        }
        while !queue.isEmpty { let (index, input) = queue.removeFirst(); deliver(index, input) }
        // A later Quick Mode, then a delete with its acknowledgement.
        now = now.addingTimeInterval(10)
        queue = [
            (0, .acquire(TrafficRequest(source: client, destination: server, ipProtocol: 17, destinationPort: 53)))
        ]
        while !queue.isEmpty { let (index, input) = queue.removeFirst(); deliver(index, input) }
        queue = [(1, .removeMainModeSAs(MainModeSAFilter()))]
        while !queue.isEmpty { let (index, input) = queue.removeFirst(); deliver(index, input) }
        self.points = points
    }

    /// A recorded message as a fuzzing point, opened with the receiver's keys when encrypted.
    static func point(_ endpoint: Endpoint, _ bytes: [UInt8], _ from: EndpointAddress, _ to: EndpointAddress) -> Point?
    {
        guard let message = try? Message(parsing: bytes), let crypto = message.crypto else { return nil }
        var header = message.header
        if header.flags.contains(.encrypted) {
            let cookies = CookiePair(initiator: header.initiatorCookie, responder: header.responderCookie)
            guard let protection = endpoint.sessionProtections[cookies], let opened = try? protection.open(bytes) else {
                return nil
            }
            header.flags.remove(.encrypted)
            let (first, chain) = PayloadChain.serialize(opened.payloads)
            return Point(
                endpoint: endpoint, wakeUp: nil, header: header, from: from, to: to, protection: protection,
                sequence: opened.sequenceNumber,
                firstPayload: first, chain: chain)
        }
        let (first, chain) = PayloadChain.serialize(message.clearPayloads)
        return Point(
            endpoint: endpoint, wakeUp: nil, header: header, from: from, to: to, protection: nil,
            sequence: crypto.sequenceNumber,
            firstPayload: first, chain: chain)
    }

    /// The corpus seed of a point: [point, seqNUM (4), first payload type, chain].
    func seed(_ index: Int) -> [UInt8] {
        let point = points[index]
        return [UInt8(index)] + point.sequence.bigEndianBytes + [point.firstPayload.rawValue] + point.chain
    }

    /// One input: the framed message to its point's endpoint, then its timers two days on.
    func run(_ input: [UInt8]) {
        guard input.count >= 6, !points.isEmpty else { return }
        let point = points[Int(input[0]) % points.count]
        let sequence = input[1..<5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let first = PayloadType(rawValue: input[5])
        let chain = Array(input[6...])
        let datagram: [UInt8]
        if let protection = point.protection {
            guard
                let sealed = try? protection.seal(
                    header: point.header, sequenceNumber: sequence,
                    iv: Array(repeating: 7, count: protection.algorithms.cipher.blockSize),
                    firstPayload: first, chain: chain)
            else { return }
            datagram = sealed
        } else {
            var writer = point.header.serialized(nextPayload: .crypto, length: UInt32(28 + 8 + chain.count))
            writer += [first.rawValue, 0, 0, 8] + sequence.bigEndianBytes + chain
            datagram = writer
        }
        var endpoint = point.endpoint
        var wakeUp = point.wakeUp
        func note(_ outputs: [EndpointOutput]) {
            for case .wakeUp(let time) in outputs { wakeUp = time }
        }
        note(
            endpoint.handle(.datagram(datagram, from: point.from, to: point.to), now: Self.start.addingTimeInterval(20))
        )
        note(
            endpoint.handle(.datagram(datagram, from: point.from, to: point.to), now: Self.start.addingTimeInterval(21))
        )
        // The driver's part: wake the endpoint when it asks, for two days.
        let end = Self.start.addingTimeInterval(2 * 86_400)
        var wakes = 0
        while let time = wakeUp, time <= end, wakes < 10_000 {
            wakeUp = nil
            wakes += 1
            note(endpoint.handle(.timer, now: time))
        }
        guard endpoint.sessionCount == 0, endpoint.database.mainModeCount == 0, endpoint.database.quickModeCount == 0
        else {
            fatalError(
                "state left after two days: \(endpoint.sessionCount) sessions, \(endpoint.database.mainModeCount) MM SAs"
            )
        }
    }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] {
        [UInt8(self >> 24), UInt8(self >> 16 & 0xFF), UInt8(self >> 8 & 0xFF), UInt8(self & 0xFF)]
    }
}
