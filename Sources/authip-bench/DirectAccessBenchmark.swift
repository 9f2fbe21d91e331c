import AuthIP
import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPScenarios
import AuthIPTrust
import AuthIPWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whole DirectAccess tunnels through two `Endpoint`s in one process (MM + first QM + QM
/// synchronize + EM, datagrams handed straight across), the CPU each side spends in its
/// `handle` calls, and the floor: the same OpenSSL and mechanism work called directly.
enum DirectAccessBenchmark {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)
    static let clientAddress = IPAddress.v6(.sixToFour(IPv4Address("192.0.2.7")!))

    /// The two sides' rules and credentials for one certificate type; a server builds its rules
    /// once, so the rules are built here rather than per tunnel.
    struct World {
        var server: DirectAccess.Server
        var client: DirectAccess.Client
        var directory: JSONAccountDirectory
        var clientTLS: TLSConfiguration
        let serverRules: [ConnectionSecurityRule]
        let clientRules: [ConnectionSecurityRule]

        init(
            server: DirectAccess.Server, client: DirectAccess.Client, directory: JSONAccountDirectory,
            clientTLS: TLSConfiguration
        ) {
            self.server = server
            self.client = client
            self.directory = directory
            self.clientTLS = clientTLS
            serverRules = server.rules
            clientRules = client.rules
        }
    }

    static func world(ecdsa: Bool, realm: KerberosRealm?) throws -> World {
        let authority = try CertificateAuthority(
            commonName: "Bench Root", organization: "swift-authip bench",
            notBefore: start.addingTimeInterval(-86_400), notAfter: start.addingTimeInterval(86_400 * 400))
        let server = try authority.issue(
            commonName: "DASERVER.corp.contoso.com", usage: .serverAuthentication, serial: 2, ecdsa: ecdsa,
            notBefore: start.addingTimeInterval(-3_600), notAfter: start.addingTimeInterval(86_400 * 300))
        let client = try authority.issue(
            commonName: "CLIENT1.corp.contoso.com", usage: .clientAuthentication, serial: 3, ecdsa: ecdsa,
            notBefore: start.addingTimeInterval(-3_600), notAfter: start.addingTimeInterval(86_400 * 300))
        // A 1,000-entry CRL in the server's cache, weak checking: what a DirectAccess server does.
        let cache = CRLCache()
        _ = try cache.insert(
            try authority.revocationList(
                revoking: Array(10_000..<11_000), thisUpdate: start.addingTimeInterval(-3_600),
                nextUpdate: start.addingTimeInterval(7 * 86_400)), source: "bench.crl")
        let directory = try JSONAccountDirectory(
            json: """
                {"domain": "CORP", "dnsDomain": "corp.contoso.com", "accounts": [
                  {"name": "CLIENT1$", "kind": "computer", "enabled": true, "password": "Client1-Machine-Secret", "groups": ["DirectAccess Clients"]},
                  {"name": "alice", "kind": "user", "enabled": true, "password": "x", "groups": ["DirectAccess Users"]}]}
                """)
        let ntlm = NTLMAcceptorSetup(
            configuration: NTLMAcceptorConfiguration(
                netbiosDomainName: "CORP", netbiosComputerName: "DASERVER",
                dnsDomainName: "corp.contoso.com", dnsComputerName: "daserver.corp.contoso.com"),
            directory: directory)
        let serverTLS = TLSConfiguration(
            identities: [try TLSIdentity(certificate: server.certificate, privateKeyPEM: server.privateKeyPEM)],
            trust: .directAccessServer(roots: [authority.certificate], revocation: .weak), crlCache: cache)
        let clientTLS = TLSConfiguration(
            identities: [try TLSIdentity(certificate: client.certificate, privateKeyPEM: client.privateKeyPEM)],
            trust: .directAccessClient(roots: [authority.certificate]))
        let intranet = AddressRange(IPAddress("2001:db8:1::")!, prefixLength: 48)
        let dns = AddressRange(IPAddress("2001:db8:1::53")!)
        return World(
            server: DirectAccess.Server(
                firstPublicIPv4: IPv4Address("131.107.0.2")!, secondPublicIPv4: IPv4Address("131.107.0.3")!,
                certificate: serverTLS, ntlm: ntlm, keytab: .keytab(realm?.serverKeytab ?? "/nonexistent"),
                infrastructureServers: [dns], intranetPrefixes: [intranet],
                authorization: AuthorizationPolicy(
                    requiredComputerGroup: "DirectAccess Clients", requiredUserGroup: "DirectAccess Users")),
            client: DirectAccess.Client(
                address: clientAddress, serverFirstPublicIPv4: IPv4Address("131.107.0.2")!,
                serverSecondPublicIPv4: IPv4Address("131.107.0.3")!, certificate: clientTLS,
                computerAccount: NTLMCredentials(
                    user: "CLIENT1$", domain: "CORP", password: "Client1-Machine-Secret", workstation: "CLIENT1"),
                user: .cache(realm?.cache("cc_alice")), infrastructureServers: [dns], intranetPrefixes: [intranet]),
            directory: directory, clientTLS: clientTLS)
    }

    nonisolated(unsafe) static var seed: UInt64 = 1

    /// One tunnel to the end with fresh endpoints; the CPU time of the initiator and the responder.
    static func negotiate(
        _ world: World, destination: IPAddress, seed: UInt64, timed: Bool = true
    ) -> (Duration, Duration) {
        var endpoints = [
            Endpoint(
                configuration: EndpointConfiguration(
                    computerName: "CLIENT1", principalName: "CLIENT1$@DA.TEST", rules: world.clientRules),
                random: SeededRandomSource(seed: seed), now: start),
            Endpoint(
                configuration: EndpointConfiguration(
                    computerName: "DASERVER", principalName: KerberosRealm.service, rules: world.serverRules,
                    directory: world.directory),
                random: SeededRandomSource(seed: seed &+ 1), now: start),
        ]
        var cpu = [Duration.zero, Duration.zero]
        var queue: [(Int, EndpointInput)] = [
            (0, .acquire(TrafficRequest(source: clientAddress, destination: destination)))
        ]
        var installed = 0
        while !queue.isEmpty {
            let (index, input) = queue.removeFirst()
            let before = timed ? threadCPUTime() : .zero
            let outputs = endpoints[index].handle(input, now: start)
            if timed { cpu[index] += threadCPUTime() - before }
            for output in outputs {
                switch output {
                case .send(let bytes, let from, let to): queue.append((1 - index, .datagram(bytes, from: from, to: to)))
                case .installSA: installed += 1
                default: break
                }
            }
        }
        guard installed == 4 else { fatalError("the benchmark tunnel did not come up") }
        return (cpu[0], cpu[1])
    }

    /// The floor of one infrastructure tunnel: the mutual TLS handshake with the server's chain
    /// validation against the cached CRL and the exporter, NTLMv2, and each side's key
    /// schedule (SKEYID*, Auth1–Auth4, SKEYID_em, both QM SAs' keys). Returns the responder's share.
    static func floor(_ world: World, random: inout SeededRandomSource, measured: Bool = true) -> Duration {
        var responder = Duration.zero
        func timed<T>(_ body: () throws -> T) rethrows -> T {
            guard measured else { return try body() }
            let before = threadCPUTime()
            defer { responder += threadCPUTime() - before }
            return try body()
        }
        guard let initiator = try? TLSContext(role: .initiator, configuration: world.clientTLS),
            let acceptor = try? timed({ try TLSContext(role: .acceptor, configuration: world.server.certificate) }),
            let hello = try? initiator.step([], now: start, random: &random).token,
            let flight1 = try? timed({ try acceptor.step(hello, now: start, random: &random).token }),
            let flight2 = try? initiator.step(flight1, now: start, random: &random).token,
            let finished = try? timed({ try acceptor.step(flight2, now: start, random: &random).token }),
            (try? initiator.step(finished, now: start, random: &random).token) != nil, initiator.isComplete,
            acceptor.isComplete
        else {
            fatalError("the floor's TLS exchange failed")
        }
        var ntlmInitiator = NTLMInitiatorContext(credentials: world.client.computerAccount)
        var ntlmAcceptor = NTLMAcceptorContext(
            configuration: world.server.ntlm.configuration, directory: world.directory)
        guard let negotiate = try? ntlmInitiator.step([], now: start, random: &random).token,
            let challenge = try? timed({ try ntlmAcceptor.step(negotiate, now: start, random: &random).token }),
            let authenticate = try? ntlmInitiator.step(challenge, now: start, random: &random).token,
            (try? timed({ try ntlmAcceptor.step(authenticate, now: start, random: &random).token })) != nil,
            let tlsKey = acceptor.sessionKey, let ntlmKey = ntlmAcceptor.sessionKey
        else { fatalError("the floor's NTLM exchange failed") }
        keySchedule(tlsKey: tlsKey, ntlmKey: ntlmKey, random: &random)
        timed { keySchedule(tlsKey: tlsKey, ntlmKey: ntlmKey, random: &random) }
        return responder
    }

    /// One side's key schedule for a tunnel.
    static func keySchedule(tlsKey: SecretBytes, ntlmKey: SecretBytes, random: inout SeededRandomSource) {
        let derivation = KeyDerivation(
            algorithms: MainModeAlgorithms(cipher: .aes256, hash: .sha256), initiatorCookie: 1, responderCookie: 2)
        let ni = random.bytes(32), nr = random.bytes(32)
        let keys = MainModeKeys(
            derivation: derivation, z: .empty, initiatorNonce: ni, responderNonce: nr, gssSecret: tlsKey)
        var transcript = AuthenticationTranscript.mainMode(hash: .sha256)
        for _ in 0..<4 { transcript.append(random.bytes(600)) }
        let auth1 = transcript.initiatorProof(skeyid: keys.skeyid),
            auth2 = transcript.responderProof(skeyid: keys.skeyid)
        let skeyidEM = MainModeKeys.extendedModeKey(
            derivation: derivation, z: .empty, initiatorNonce: ni, responderNonce: nr, gssSecret: ntlmKey)
        var em = AuthenticationTranscript.extendedMode(hash: .sha256)
        for _ in 0..<4 { em.append(random.bytes(200)) }
        _ = em.extendedInitiatorProof(skeyidEM: skeyidEM, auth1: auth1)
        _ = em.extendedResponderProof(skeyidEM: skeyidEM, auth2: auth2)
        let binding = QuickModeKeys.ExtendedModeBinding(initiatorNonce: ni, responderNonce: nr, skeyidEM: skeyidEM)
        for spi: UInt32 in [0x1000, 0x2000] {
            _ = QuickModeKeys(
                derivation: derivation, skeyidD: keys.skeyidD, messageID: 0, spi: spi, initiatorNonce: ni,
                responderNonce: nr,
                extendedMode: binding, integrityKeyLength: 0, encryptionKeyLength: 36)
        }
    }

    /// ECDSA tunnels, or only their floor, for 20 seconds.
    static func profile(floor onlyFloor: Bool) throws {
        let world = try world(ecdsa: true, realm: nil)
        var random = SeededRandomSource(seed: 11)
        let end = ContinuousClock.now + .seconds(20)
        var tunnels = 0
        defer {
            AuthIPBenchmark.report(
                onlyFloor ? "profile.floor_tunnels" : "profile.engine_tunnels", Double(tunnels), "tunnels")
        }
        while ContinuousClock.now < end {
            tunnels += 1
            if onlyFloor {
                _ = floor(world, random: &random, measured: false)
            } else {
                seed &+= 2
                _ = negotiate(world, destination: IPAddress("2001:db8:1::53")!, seed: seed, timed: false)
            }
        }
    }

    static func run() throws {
        let realm = try? KerberosRealm.shared.get()
        for (label, ecdsa) in [("infrastructure", false), ("infrastructure_ecdsa", true)] {
            let world = try world(ecdsa: ecdsa, realm: realm)
            var initiatorCPU = Duration.zero, responderCPU = Duration.zero, runs = 0
            var floorRandom = SeededRandomSource(seed: 11)
            var floorResponder = Duration.zero, floorRuns = 0
            // The rates without the per-call CPU clock (a system call per read), which would be
            // charged to the engine's many calls more than to the floor's few; the CPU per
            // side in separate runs.
            let (rate, floorRate) = AuthIPBenchmark.interleavedRates(
                {
                    seed &+= 2
                    _ = negotiate(world, destination: IPAddress("2001:db8:1::53")!, seed: seed, timed: false)
                },
                {
                    _ = floor(world, random: &floorRandom, measured: false)
                })
            for _ in 0..<8 {
                for _ in 0..<16 {
                    seed &+= 2
                    let (initiator, responder) = negotiate(world, destination: IPAddress("2001:db8:1::53")!, seed: seed)
                    initiatorCPU += initiator
                    responderCPU += responder
                    runs += 1
                }
                for _ in 0..<16 {
                    floorResponder += floor(world, random: &floorRandom)
                    floorRuns += 1
                }
            }
            let responderMicroseconds = AuthIPBenchmark.seconds(responderCPU) / Double(runs) * 1e6
            AuthIPBenchmark.report("\(label).negotiations_per_s", rate, "tunnels/s")
            AuthIPBenchmark.report("\(label).responder_us", Double(Int(responderMicroseconds)), "µs CPU")
            AuthIPBenchmark.report(
                "\(label).initiator_us", Double(Int(AuthIPBenchmark.seconds(initiatorCPU) / Double(runs) * 1e6)),
                "µs CPU")
            AuthIPBenchmark.report("\(label).responder_per_s", Double(Int(1e6 / responderMicroseconds)), "tunnels/s")
            AuthIPBenchmark.report("\(label).floor_per_s", floorRate, "tunnels/s")
            AuthIPBenchmark.report(
                "\(label).floor_responder_us",
                Double(Int(AuthIPBenchmark.seconds(floorResponder) / Double(floorRuns) * 1e6)), "µs CPU")
            AuthIPBenchmark.report("\(label).engine_over_floor", Double(Int(rate / floorRate * 1000)) / 1000, "ratio")
            if !ecdsa {
                let one = AuthIPBenchmark.rate {
                    seed &+= 2;
                    _ = negotiate(world, destination: IPAddress("2001:db8:1::53")!, seed: seed, timed: false)
                }
                let two = twoThreads(world)
                AuthIPBenchmark.report("scaling.two_threads", Double(Int(two / one * 100)) / 100, "× one thread")
            }
        }
        if let realm {
            let world = try world(ecdsa: false, realm: realm)
            var initiatorCPU = Duration.zero, responderCPU = Duration.zero, runs = 0
            let rate = AuthIPBenchmark.rate {
                seed &+= 2
                let (initiator, responder) = negotiate(world, destination: IPAddress("2001:db8:1:5::20")!, seed: seed)
                initiatorCPU += initiator
                responderCPU += responder
                runs += 1
            }
            AuthIPBenchmark.report("intranet.negotiations_per_s", rate, "tunnels/s")
            AuthIPBenchmark.report(
                "intranet.responder_us", Double(Int(AuthIPBenchmark.seconds(responderCPU) / Double(runs) * 1e6)),
                "µs CPU")
            AuthIPBenchmark.report(
                "intranet.initiator_us", Double(Int(AuthIPBenchmark.seconds(initiatorCPU) / Double(runs) * 1e6)),
                "µs CPU")
        }
    }

    /// Tunnels per second with two independent endpoint pairs on two threads.
    static func twoThreads(_ world: World) -> Double {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let deadline = ContinuousClock.now + AuthIPBenchmark.measureTime
        let begin = ContinuousClock.now
        let group = DispatchGroup()
        nonisolated(unsafe) let shared = counts
        for thread in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                var local = 0
                var threadSeed = UInt64(thread) << 40
                while ContinuousClock.now < deadline {
                    threadSeed &+= 2
                    _ = negotiate(world, destination: IPAddress("2001:db8:1::53")!, seed: threadSeed, timed: false)
                    local += 1
                }
                shared[thread] = local
                group.leave()
            }
        }
        group.wait()
        return Double(counts[0] + counts[1]) / AuthIPBenchmark.seconds(ContinuousClock.now - begin)
    }

    static func threadCPUTime() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
    }
}

extension DirectAccessBenchmark {
    /// The memory one responder keeps per established infrastructure tunnel (resident, once
    /// glibc has returned its free pages): `tunnels` clients, each a fresh endpoint that
    /// goes away, against one server endpoint that keeps every MM and QM SA; once right after
    /// the last tunnel, once after the responses kept for retransmissions expired.
    static func memory(tunnels: Int = 1_000) throws {
        let world = try world(ecdsa: true, realm: nil)
        var settings = EndpointSettings()
        // Every client comes from one address at one instant: no per-peer limit may count them.
        settings.maximumMainModeSAsPerPeer = .max
        settings.tlsStartBurst = 1e9
        var server = Endpoint(
            configuration: EndpointConfiguration(
                computerName: "DASERVER", principalName: KerberosRealm.service, rules: world.serverRules,
                settings: settings, directory: world.directory),
            random: SeededRandomSource(seed: 5), now: start)
        // Resident memory once glibc has handed its free pages back (malloc_trim).
        let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim").map {
            unsafeBitCast($0, to: (@convention(c) (Int) -> Int32).self)
        }
        func inUse() -> Int {
            _ = trim?(0)
            let pages = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ")
            return (pages.flatMap { Int($0[1]) } ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
        var before = 0
        for index in 0...tunnels {
            // The first tunnel warms the caches; the others are counted.
            if index == 1 { before = inUse() }
            var client = Endpoint(
                configuration: EndpointConfiguration(
                    computerName: "CLIENT1", principalName: "CLIENT1$@DA.TEST", rules: world.clientRules),
                random: SeededRandomSource(seed: UInt64(1_000 + index)), now: start)
            var queue: [(toServer: Bool, EndpointInput)] = [
                (false, .acquire(TrafficRequest(source: clientAddress, destination: IPAddress("2001:db8:1::53")!)))
            ]
            while !queue.isEmpty {
                let (toServer, input) = queue.removeFirst()
                let outputs = toServer ? server.handle(input, now: start) : client.handle(input, now: start)
                for case .send(let bytes, let from, let to) in outputs {
                    queue.append((!toServer, .datagram(bytes, from: from, to: to)))
                }
            }
        }
        guard server.database.mainModeCount == tunnels + 1 else {
            fatalError("\(server.database.mainModeCount) of \(tunnels + 1) tunnels came up")
        }
        let held = inUse()
        _ = server.handle(.timer, now: start.addingTimeInterval(121))
        let settled = inUse()
        AuthIPBenchmark.report("memory.engine_bytes_per_tunnel", Double((held - before) / tunnels), "bytes")
        AuthIPBenchmark.report(
            "memory.engine_bytes_per_idle_tunnel", Double((settled - before) / tunnels), "bytes")
    }
}
