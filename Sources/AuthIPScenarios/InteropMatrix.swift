import AuthIP
import AuthIPCrypto
import AuthIPGSS
import AuthIPSimulation
import AuthIPWire
import Foundation

/// `authip interop matrix`: our default endpoint against endpoints that send each Windows
/// variant (`InteropProfile.variants`, standing in for the Windows builds we cannot run), with
/// the variant as initiator and as responder, for both DirectAccess tunnels.
///
/// A pairing passes when its tunnel establishes with the same ESP keys on both sides and
/// nothing is left after shutdown. The one choice no proof can settle, the Quick Mode key
/// split, establishes with keys that differ; its pairing passes when that is so and a second
/// run, with our rules set to the peer's split (`ConnectionSecurityRule.quickModeKeyOrder`),
/// matches. Each infrastructure pairing's traffic is also compared with a default-against-
/// default run of the same seed (OpenSSL's randomness seeded too, as for the scenario
/// vectors): a variant whose side sent exactly the baseline's datagrams was not exercised in
/// that role, which the line says. The intranet tunnel's Kerberos tickets carry the KDC's
/// clock, so its lines take the infrastructure pairing's answer. OpenSSL's generator is seeded
/// for the whole process while this runs: run it in a process of its own, as
/// `authip interop matrix` does.
public struct InteropMatrix {
    /// Which side runs the variant profile.
    public enum Role: String, CaseIterable, Sendable {
        case initiator
        case responder
    }

    /// How one run of a pairing ended.
    public struct Run: Sendable {
        public var outcome: Fault.Outcome?
        /// Both sides' ESP SAs carry the same keys.
        public var keysMatch: Bool
        public var leftAfterShutdown: Int

        public var passed: Bool { outcome == .established && keysMatch && leftAfterShutdown == 0 }

        var description: String {
            switch outcome {
            case .established? where !keysMatch: return "established, but the ESP keys differ"
            case .established? where leftAfterShutdown > 0:
                return "established, \(leftAfterShutdown) SAs or sessions left after shutdown"
            case .established?: return "established"
            case .failed(let event, let code)?: return "failed: event \(event), \(code)"
            case nil: return "no outcome"
            }
        }
    }

    /// One pairing's result.
    public struct Pairing: Sendable {
        public var profile: String
        public var role: Role
        public var tunnel: Tunnel
        public var run: Run
        /// For a variant that needs an administrator's setting: the run with it.
        public var withSetting: (name: String, run: Run)?
        /// Whether the variant side sent anything the default would not have.
        public var exercised: Bool

        public var passed: Bool {
            guard let withSetting else { return run.passed }
            return run.outcome == .established && !run.keysMatch && withSetting.run.passed
        }

        /// `profile-name role tunnel: established`, or the failure.
        public var line: String {
            var result = run.description
            if let withSetting {
                result =
                    withSetting.run.passed && !run.keysMatch
                    ? "established once \(withSetting.name) (without it: \(run.description))"
                    : "\(withSetting.run.description) with \(withSetting.name); without it \(run.description)"
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
            let baseline = try pairing(tunnel: tunnel, server: .standard, client: .standard)
            for profile in profiles {
                // The key split matters only with a separate integrity key: CBC and HMAC.
                let crypto: QuickModeCryptoSet? =
                    profile.quickModeKeyOrder == InteropProfile.quickModeKeyOrder
                    ? nil : QuickModeCryptoSet(proposals: [QuickModeProposal(cipher: .aes256, integrity: .sha256)])
                for role in Role.allCases {
                    let (server, client) =
                        role == .responder ? (profile, .standard) : (InteropProfile.standard, profile)
                    let result = try pairing(tunnel: tunnel, server: server, client: client, crypto: crypto)
                    let side = role == .responder ? "DASERVER" : DirectAccessLab.clientName(0)
                    let key = "\(profile.name) \(role)"
                    if tunnel == .infrastructure { exercised[key] = result.sent(side) != baseline.sent(side) }
                    var withSetting: (String, Run)?
                    if crypto != nil {
                        // Our side with the administrator's setting that matches the peer.
                        var matching = InteropProfile.standard
                        matching.quickModeKeyOrder = profile.quickModeKeyOrder
                        let (server, client) = role == .responder ? (profile, matching) : (matching, profile)
                        let setting = "quickModeKeyOrder = \(profile.quickModeKeyOrder.rawValue)"
                        withSetting = (
                            setting, try pairing(tunnel: tunnel, server: server, client: client, crypto: crypto).run
                        )
                    }
                    pairings.append(
                        Pairing(
                            profile: profile.name, role: role, tunnel: tunnel, run: result.run,
                            withSetting: withSetting, exercised: exercised[key] ?? true))
                }
            }
        }
        return pairings.sorted {
            ($0.profile, $0.role.rawValue, $0.tunnel.rawValue) < ($1.profile, $1.role.rawValue, $1.tunnel.rawValue)
        }
    }

    /// One client against the server with these profiles, traffic recorded: connected, run
    /// until the tunnel is up (or every retry is over), keys compared, shut down. A throw-away
    /// PKI of its own, made from the seeded generator, so that equal profiles give equal traffic.
    private func pairing(
        tunnel: Tunnel, server: InteropProfile, client: InteropProfile, crypto: QuickModeCryptoSet? = nil
    ) throws -> (run: Run, sent: (String) -> [[UInt8]]) {
        TLSContext.prepare()
        OpenSSLRandom.useSeeded(seed)
        defer { OpenSSLRandom.useSystem() }
        let pki = try ThrowawayPKI(now: DirectAccessLab.start)
        var options = DirectAccessLab.Options(tunnel: tunnel, seed: seed, serverProfile: server, clientProfile: client)
        options.quickModeCrypto = crypto
        var lab = try DirectAccessLab(options, pki: pki, realm: realm)
        lab.simulation.recordsTraffic = true
        lab.connect(0, through: tunnel)
        lab.run(for: .seconds(240))
        let clientNode = lab.clientNode(0)
        let outcome: Fault.Outcome? =
            clientNode.events.contains { $0.event.descriptor.eventID == 5451 }
            ? .established
            : clientNode.events.lazy.compactMap { entry in
                entry.event.failureCode.map { Fault.Outcome.failed(event: entry.event.descriptor.eventID, code: $0) }
            }.first
        let serverSAs = lab.serverNode?.installedSAs.values.flatMap(\.values) ?? []
        let clientSAs = clientNode.installedSAs.values.flatMap(\.values)
        let keysMatch =
            !clientSAs.isEmpty
            && clientSAs.allSatisfy { sa in
                serverSAs.contains {
                    $0.spi == sa.spi && $0.direction != sa.direction && $0.encryptionKey == sa.encryptionKey
                        && $0.integrityKey == sa.integrityKey
                }
            }
        for index in lab.simulation.nodes.indices { lab.simulation.inject(.shutdown, into: index) }
        lab.run(for: .seconds(120))
        let left = lab.simulation.nodes.reduce(0) { total, node in
            total + node.endpoint.database.mainModeCount + node.endpoint.database.quickModeCount
                + node.endpoint.sessionCount + node.installedSACount
        }
        let trace = lab.simulation.trace
        return (
            Run(outcome: outcome, keysMatch: keysMatch, leftAfterShutdown: left),
            { sender in trace.filter { $0.sender == sender }.map(\.bytes) }
        )
    }

    /// The last line: `N passed, M failed`.
    public static func summary(_ pairings: [Pairing]) -> String {
        let passed = pairings.filter(\.passed).count
        return "\(passed) passed, \(pairings.count - passed) failed"
    }
}
