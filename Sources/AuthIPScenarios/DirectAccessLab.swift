import AuthIP
import AuthIPAccounts
import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPSADatabase
import AuthIPSimulation
import AuthIPTrust
import AuthIPWire
import Foundation

/// A DirectAccess deployment on the simulated network: one server (131.107.0.2/.3, tunnel
/// endpoints 2002:836b:2::836b:2 and 2002:836b:3::836b:3), N clients on 6to4 addresses, a
/// throw-away PKI, an account directory and the test KDC, with a fault applied. The demo, the
/// simulator and the scenario vectors all build on it.
public struct DirectAccessLab {
    /// How many clients, which fault and tunnel, the seed and the network.
    public struct Options: Sendable {
        public var clients: Int
        public var fault: Fault
        public var tunnel: Tunnel
        public var seed: UInt64
        public var conditions: NetworkConditions
        /// Gap between two clients' first packets (virtual time).
        public var stagger: Duration
        /// What the server and the clients send where Windows builds may differ.
        public var serverProfile: InteropProfile
        public var clientProfile: InteropProfile
        /// The Quick Mode proposals of both sides, when not the presets'.
        public var quickModeCrypto: QuickModeCryptoSet?

        public init(
            clients: Int = 1, fault: Fault = .none, tunnel: Tunnel = .infrastructure, seed: UInt64 = 1,
            conditions: NetworkConditions = .ideal, stagger: Duration = .milliseconds(5),
            serverProfile: InteropProfile = .standard, clientProfile: InteropProfile = .standard
        ) {
            self.clients = clients
            self.fault = fault
            self.tunnel = tunnel
            self.seed = seed
            self.conditions = conditions
            self.stagger = stagger
            self.serverProfile = serverProfile
            self.clientProfile = clientProfile
        }

        /// Endpoint settings with `profile`.
        static func settings(_ profile: InteropProfile) -> EndpointSettings {
            var settings = EndpointSettings()
            settings.interop = profile
            return settings
        }
    }

    public static let start = Date(timeIntervalSince1970: 1_795_000_000)
    public static let dns = AddressRange(IPAddress("2001:db8:1::53")!)
    public static let domainController = AddressRange(IPAddress("2001:db8:1::10")!)
    public static let intranet = AddressRange(IPAddress("2001:db8:1::")!, prefixLength: 48)
    public static let fileServer = IPAddress("2001:db8:1:5::20")!
    /// The ISATAP /96 of 2001:db8:1:8000::/64: where manage out comes from.
    public static let management = IPv6Address.isatapPrefix(IPv6Address("2001:db8:1:8000::")!)
    public static let helpdesk = IPAddress.v6(
        .isatap(prefix: IPv6Address("2001:db8:1:8000::")!, ipv4: IPv4Address("10.1.2.3")!))

    public let options: Options
    public var simulation: Simulation
    public let server: Int?
    public let clients: [Int]
    public let clientAddresses: [IPAddress]
    public let serverSetup: DirectAccess.Server

    /// The client `index`'s name: CLIENT1, CLIENT2, ...
    public static func clientName(_ index: Int) -> String { "CLIENT\(index + 1)" }

    /// The 6to4 address of client `index` (from 198.18.0.0/15, the benchmark range).
    public static func clientAddress(_ index: Int) -> IPAddress {
        .v6(.sixToFour(IPv4Address(0xC612_0000 + UInt32(index) + 1)))
    }

    public init(_ options: Options, pki: ThrowawayPKI, realm: KerberosRealm?) throws {
        self.options = options
        let fault = options.fault
        let names = (0..<options.clients).map(Self.clientName)
        let directory = try JSONAccountDirectory(json: Self.directoryJSON(computers: names, fault: fault))

        var clientCertificates: [TLSIdentity] = []
        var serials: [Int] = []
        for name in names {
            let cdp = fault == .cdpOffline ? "http://crl.corp.contoso.com/root.crl" : nil
            let (identity, serial) = try pki.client(name, crlDistributionPoint: cdp)
            clientCertificates.append(identity)
            serials.append(serial)
        }
        let cache = CRLCache()
        if fault != .cdpOffline {
            _ = try cache.insert(
                try pki.revocationList(revoking: fault == .revokedCertificate ? serials : [], now: Self.start),
                source: "root.crl")
        }
        var authorization = AuthorizationPolicy(
            requiredComputerGroup: "DirectAccess Clients", requiredUserGroup: "DirectAccess Users")
        authorization.requiresHealthCertificate = fault == .noHealthCertificate
        authorization.requiresSmartCard = fault == .noSmartCard
        let keytab = realm.map { KerberosCredentials.keytab($0.serverKeytab) } ?? .keytab("/nonexistent")
        serverSetup = DirectAccess.Server(
            firstPublicIPv4: IPv4Address("131.107.0.2")!, secondPublicIPv4: IPv4Address("131.107.0.3")!,
            certificate: TLSConfiguration(
                identities: [pki.server],
                trust: .directAccessServer(
                    roots: [pki.authority.certificate], revocation: fault == .cdpOffline ? .strong : .weak),
                crlCache: cache),
            ntlm: NTLMAcceptorSetup(
                configuration: NTLMAcceptorConfiguration(
                    netbiosDomainName: "CORP", netbiosComputerName: "DASERVER", dnsDomainName: "corp.contoso.com",
                    dnsComputerName: "daserver.corp.contoso.com"), directory: directory),
            keytab: keytab, infrastructureServers: [Self.dns, Self.domainController], intranetPrefixes: [Self.intranet],
            managementPrefixes: [Self.management], authorization: authorization)

        simulation = Simulation(seed: options.seed, conditions: options.conditions, start: Self.start)
        if fault == .silentResponder {
            server = nil
        } else {
            server = simulation.add(
                "DASERVER",
                Endpoint(
                    configuration: EndpointConfiguration(
                        computerName: "DASERVER", principalName: KerberosRealm.service,
                        rules: Self.adjusting(serverSetup.rules, options.serverProfile.quickModeKeyOrder, options),
                        settings: Options.settings(options.serverProfile), directory: directory),
                    random: SeededRandomSource(seed: options.seed &* 1_000_003), now: Self.start),
                addresses: [serverSetup.infrastructureTunnelEndpoint, serverSetup.intranetTunnelEndpoint])
        }
        var clients: [Int] = []
        var addresses: [IPAddress] = []
        for (index, name) in names.enumerated() {
            let address = Self.clientAddress(index)
            let user: KerberosCredentials =
                fault == .wrongPassword
                ? .password(principal: "alice@DA.TEST", password: "not-the-password")
                : .cache(realm?.cache("cc_alice") ?? "FILE:/nonexistent")
            let setup = DirectAccess.Client(
                address: address, serverFirstPublicIPv4: IPv4Address("131.107.0.2")!,
                serverSecondPublicIPv4: IPv4Address("131.107.0.3")!,
                certificate: TLSConfiguration(
                    identities: [clientCertificates[index]],
                    trust: .directAccessClient(roots: [pki.authority.certificate])),
                computerAccount: NTLMCredentials(
                    user: "\(name)$", domain: "CORP",
                    password: fault == .wrongPassword ? "stale-secret" : Self.machinePassword(name),
                    workstation: name),
                user: user, infrastructureServers: [Self.dns, Self.domainController], intranetPrefixes: [Self.intranet],
                managementPrefixes: [Self.management],
                serverIdentity: ResponderIdentity(
                    servicePrincipalName: KerberosRealm.service,
                    certificateHostNames: [pki.server.certificate.computerDNSName ?? ""]))
            var rules = Self.adjusting(setup.rules, options.clientProfile.quickModeKeyOrder, options)
            if fault == .noProposal {
                for i in rules.indices {
                    rules[i].mainModeCrypto = MainModeCryptoSet(proposals: [
                        MainModeProposal(cipher: .tripleDES, hash: .sha1, group: .modp2048)
                    ])
                }
            }
            clients.append(
                simulation.add(
                    name,
                    Endpoint(
                        configuration: EndpointConfiguration(
                            computerName: name, principalName: "\(name)$@DA.TEST", rules: rules,
                            settings: Options.settings(options.clientProfile)),
                        random: SeededRandomSource(seed: options.seed &* 7_919 &+ UInt64(index)), now: Self.start),
                    addresses: [address]))
            addresses.append(address)
        }
        self.clients = clients
        clientAddresses = addresses
        if fault == .blocked, let server {
            simulation.inject(.block(WildcardPattern("*CLIENT*")!, until: nil), into: server)
        }
    }

    static func machinePassword(_ name: String) -> String { "\(name)-Machine-Secret" }

    /// `rules` with the Quick Mode key split of a profile and the options' Quick Mode proposals.
    static func adjusting(
        _ rules: [ConnectionSecurityRule], _ order: QuickModeKeyOrder, _ options: Options
    )
        -> [ConnectionSecurityRule]
    {
        rules.map { rule in
            var rule = rule
            rule.quickModeKeyOrder = order
            if let set = options.quickModeCrypto { rule.quickModeCrypto = set }
            return rule
        }
    }

    /// The domain: the clients' computer accounts in the DirectAccess clients group, alice in
    /// the DirectAccess users group, as the fault leaves them.
    static func directoryJSON(computers: [String], fault: Fault) -> String {
        let computerEntries = computers.map { name in
            "{\"name\": \"\(name)$\", \"kind\": \"computer\", \"enabled\": \(fault != .disabledComputer), \"password\": \"\(machinePassword(name))\", "
                + "\"groups\": [\"Domain Computers\", \"DirectAccess Clients\"]}"
        }
        let alice =
            "{\"name\": \"alice\", \"kind\": \"user\", \"enabled\": \(fault != .disabledUser), \"password\": \"Alice-Pw-1\", "
            + "\"groups\": [\"Domain Users\", \"DirectAccess Users\"]}"
        return "{\"domain\": \"CORP\", \"dnsDomain\": \"corp.contoso.com\", \"accounts\": ["
            + (computerEntries + [alice]).joined(separator: ", ") + "]}"
    }

    /// Where a client's traffic goes for a tunnel: the DNS server or a file server.
    public static func destination(_ tunnel: Tunnel) -> IPAddress {
        tunnel == .infrastructure ? dns.first : fileServer
    }

    /// Client `index` sends a packet through `tunnel`.
    public mutating func connect(_ index: Int, through tunnel: Tunnel) {
        let port: UInt16 = tunnel == .infrastructure ? 53 : 445
        simulation.inject(
            .acquire(
                TrafficRequest(
                    source: clientAddresses[index], destination: Self.destination(tunnel), ipProtocol: 6,
                    destinationPort: port)), into: clients[index])
    }

    /// A management host (`from`) opens a connection to client `index`.
    public mutating func manageOut(from source: IPAddress, to index: Int, port: UInt16 = 3389) {
        guard let server else { return }
        simulation.inject(
            .acquire(
                TrafficRequest(
                    source: source, destination: clientAddresses[index], ipProtocol: 6, destinationPort: port)),
            into: server)
    }

    public mutating func run(for duration: Duration) { simulation.run(for: duration) }

    public var serverNode: SimulatedNode? { server.map { simulation.nodes[$0] } }
    public func clientNode(_ index: Int) -> SimulatedNode { simulation.nodes[clients[index]] }
}
