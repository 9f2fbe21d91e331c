import AuthIPCrypto
import AuthIPGSS
import AuthIPSimulation
import AuthIPWire
import Foundation

/// `authip interop matrix`: our default endpoint against endpoints that send each Windows
/// variant (`InteropProfile.variants`, standing in for the Windows builds we cannot run), with
/// the variant as initiator and as responder, for both DirectAccess tunnels.
///
/// A pairing passes when its tunnel establishes and nothing is left after shutdown. Each
/// infrastructure pairing's traffic is also compared with a default-against-default run of
/// the same seed (OpenSSL's randomness seeded too, as for the scenario vectors): a variant
/// whose side sent exactly the baseline's datagrams was not exercised in that role (a
/// responder-only difference when it initiates, say), which the line says. The intranet
/// tunnel's Kerberos tickets carry the KDC's clock, so its lines take the infrastructure
/// pairing's answer. OpenSSL's generator is seeded for the whole process while this runs:
/// run it in a process of its own, as `authip interop matrix` does.
public struct InteropMatrix {
    /// Which side runs the variant profile.
    public enum Role: String, CaseIterable, Sendable {
        case initiator
        case responder
    }

    /// One pairing's result.
    public struct Pairing: Sendable {
        public var profile: String
        public var role: Role
        public var tunnel: Tunnel
        public var outcome: Fault.Outcome?
        public var leftAfterShutdown: Int
        /// Whether the variant side sent anything the default would not have.
        public var exercised: Bool

        public var passed: Bool { outcome == .established && leftAfterShutdown == 0 }

        /// `profile-name role tunnel: established`, or the failure.
        public var line: String {
            let result: String
            switch outcome {
            case .established? where leftAfterShutdown == 0: result = "established"
            case .established?: result = "established, \(leftAfterShutdown) SAs or sessions left after shutdown"
            case .failed(let event, let code)?: result = "failed: event \(event), \(code)"
            case nil: result = "no outcome"
            }
            return "\(profile) \(role.rawValue) \(tunnel.rawValue): \(result)"
                + (exercised ? "" : " (variant not exercised in this role)")
        }
    }

    /// The test KDC; without it the intranet tunnel is left out.
    public let realm: KerberosRealm?
    public var profiles: [InteropProfile]
    public var seed: UInt64

    public init(realm: KerberosRealm?, profiles: [InteropProfile] = InteropProfile.variants, seed: UInt64 = 1) {
        self.realm = realm
        self.profiles = profiles
        self.seed = seed
    }

    /// Every pairing, in profile, role, tunnel order.
    public func run() throws -> [Pairing] {
        let tunnels: [Tunnel] = realm == nil ? [.infrastructure] : [.infrastructure, .intranet]
        var pairings: [Pairing] = []
        var exercised: [String: Bool] = [:]
        for tunnel in tunnels {
            let baseline = try traffic(tunnel: tunnel, server: .standard, client: .standard)
            for profile in profiles {
                for role in Role.allCases {
                    let (server, client) = role == .responder ? (profile, .standard) : (InteropProfile.standard, profile)
                    let run = try traffic(tunnel: tunnel, server: server, client: client)
                    let side = role == .responder ? "DASERVER" : DirectAccessLab.clientName(0)
                    let key = "\(profile.name) \(role)"
                    if tunnel == .infrastructure { exercised[key] = run.sent(side) != baseline.sent(side) }
                    pairings.append(
                        Pairing(
                            profile: profile.name, role: role, tunnel: tunnel, outcome: run.run.results.first?.outcome,
                            leftAfterShutdown: run.run.leftAfterShutdown, exercised: exercised[key] ?? true))
                }
            }
        }
        return pairings.sorted {
            ($0.profile, $0.role.rawValue, $0.tunnel.rawValue) < ($1.profile, $1.role.rawValue, $1.tunnel.rawValue)
        }
    }

    /// One client against the server with these profiles, traffic recorded; a throw-away PKI
    /// of its own, made from the seeded generator, so that equal profiles give equal traffic.
    private func traffic(
        tunnel: Tunnel, server: InteropProfile, client: InteropProfile
    ) throws -> (run: LabRun, sent: (String) -> [[UInt8]]) {
        TLSContext.prepare()
        OpenSSLRandom.useSeeded(seed)
        defer { OpenSSLRandom.useSystem() }
        let pki = try ThrowawayPKI(now: DirectAccessLab.start)
        var lab = try DirectAccessLab(
            DirectAccessLab.Options(tunnel: tunnel, seed: seed, serverProfile: server, clientProfile: client),
            pki: pki, realm: realm)
        lab.simulation.recordsTraffic = true
        var run = LabRun(lab)
        run.run()
        let trace = run.lab.simulation.trace
        return (run, { sender in trace.filter { $0.sender == sender }.map(\.bytes) })
    }

    /// The last line: `N passed, M failed`.
    public static func summary(_ pairings: [Pairing]) -> String {
        let passed = pairings.filter(\.passed).count
        return "\(passed) passed, \(pairings.count - passed) failed"
    }
}
