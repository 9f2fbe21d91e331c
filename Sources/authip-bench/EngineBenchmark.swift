import AuthIP
import AuthIPCrypto
import AuthIPGSS
import AuthIPTrust
import AuthIPWire
import Foundation

/// Whole negotiations through two `Endpoint`s in this process (MM + first QM + QM synchronize,
/// datagrams handed straight across), and the CPU time each side spends in its `handle` calls.
enum EngineBenchmark {
    static func run() throws {
        let tls = AuthenticationBenchmark.vectors.appendingPathComponent("pki/tls")
        let root = try Certificate.load(path: tls.appendingPathComponent("root.pem").path)[0]
        func identity(_ name: String) throws -> TLSIdentity {
            try TLSIdentity(certificatePath: tls.appendingPathComponent("\(name).pem").path, keyPath: tls.appendingPathComponent("\(name).key").path)
        }
        let cache = CRLCache()
        try cache.insert(Array(try Data(contentsOf: tls.appendingPathComponent("root.crl"))), source: "root.crl")
        let clientTLS = AuthenticationProposal.certificate(TLSConfiguration(identities: [try identity("client-rsa")], trust: .directAccessClient(roots: [root])))
        let serverTLS = AuthenticationProposal.certificate(TLSConfiguration(identities: [try identity("server-rsa")],
                                                                             trust: .directAccessServer(roots: [root], revocation: .weak), crlCache: cache))
        let directory = try JSONAccountDirectory(contentsOf: AuthenticationBenchmark.vectors.appendingPathComponent("directory/accounts.json"))
        let clientNTLM = AuthenticationProposal.ntlm(initiator: NTLMCredentials(user: "CLIENT1$", domain: "CORP", password: "Client1-Machine-Secret", workstation: "CLIENT1"), acceptor: nil)
        let serverNTLM = AuthenticationProposal.ntlm(initiator: nil, acceptor: NTLMAcceptorSetup(
            configuration: NTLMAcceptorConfiguration(netbiosDomainName: "CORP", netbiosComputerName: "DASERVER",
                                                     dnsDomainName: "corp.contoso.com", dnsComputerName: "daserver.corp.contoso.com"),
            directory: directory))
        for (name, client, server) in [("tls", clientTLS, serverTLS), ("ntlm", clientNTLM, serverNTLM),
                                       ("anonymous", AuthenticationProposal.anonymous, AuthenticationProposal.anonymous)] {
            var responderCPU = Duration.zero, initiatorCPU = Duration.zero, runs = 0
            let rate = AuthIPBenchmark.rate {
                let (initiator, responder) = negotiate(client: client, server: server)
                initiatorCPU += initiator
                responderCPU += responder
                runs += 1
            }
            AuthIPBenchmark.report("engine.mm_qm_\(name).negotiations_per_s", rate, "negotiations/s")
            let responderMicroseconds = AuthIPBenchmark.seconds(responderCPU) / Double(runs) * 1e6
            AuthIPBenchmark.report("engine.mm_qm_\(name).responder_us", Double(Int(responderMicroseconds)), "µs CPU")
            AuthIPBenchmark.report("engine.mm_qm_\(name).initiator_us", Double(Int(AuthIPBenchmark.seconds(initiatorCPU) / Double(runs) * 1e6)), "µs CPU")
        }
    }

    static let start = ISO8601DateFormatter().date(from: "2026-11-01T00:00:00Z")!
    static let clientAddress = IPAddress("2001:db8:c::7")!
    static let serverAddress = IPAddress("2001:db8:5::1")!
    nonisolated(unsafe) static var seed: UInt64 = 1

    /// One negotiation to the end; the CPU time of each side.
    static func negotiate(client: AuthenticationProposal, server: AuthenticationProposal) -> (Duration, Duration) {
        seed += 2
        func endpoint(_ name: String, local: IPAddress, remote: AddressRange, auth: AuthenticationProposal, seed: UInt64) -> Endpoint {
            let rule = ConnectionSecurityRule(name: name, local: TrafficSelector(AddressRange(local)), remote: TrafficSelector(remote),
                                              mainModeAuthentication: AuthenticationSet([auth]))
            return Endpoint(configuration: EndpointConfiguration(computerName: name, principalName: "DASERVER$@CORP", rules: [rule]),
                            random: SeededRandomSource(seed: seed), now: start)
        }
        var endpoints = [endpoint("CLIENT1", local: clientAddress, remote: AddressRange(serverAddress), auth: client, seed: seed),
                         endpoint("DASERVER", local: serverAddress, remote: .allIPv6, auth: server, seed: seed + 1)]
        var cpu = [Duration.zero, Duration.zero]
        var queue: [(Int, EndpointInput)] = [(0, .acquire(TrafficRequest(source: clientAddress, destination: serverAddress)))]
        var installed = 0
        while !queue.isEmpty {
            let (index, input) = queue.removeFirst()
            let before = threadCPUTime()
            let outputs = endpoints[index].handle(input, now: start)
            cpu[index] += threadCPUTime() - before
            for output in outputs {
                switch output {
                case .send(let bytes, let from, let to): queue.append((1 - index, .datagram(bytes, from: from, to: to)))
                case .installSA: installed += 1
                default: break
                }
            }
        }
        guard installed == 4 else { fatalError("the benchmark negotiation did not complete") }
        return (cpu[0], cpu[1])
    }

    static func threadCPUTime() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
    }
}
