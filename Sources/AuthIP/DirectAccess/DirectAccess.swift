import AuthIPGSS
import AuthIPTrust
import AuthIPWire

/// The two DirectAccess tunnels as connection security rules (seed 004, "DirectAccess in
/// library terms" in DESIGN.md):
/// - **infrastructure tunnel** to the DNS servers and domain controllers: Main Mode with the
///   computer certificate (TLS), Extended Mode with NTLMv2 as the computer account `NAME$`;
///   tunnel endpoint the 6to4 address of the server's first public IPv4 address;
/// - **intranet tunnel** to the intranet prefixes: Main Mode with the computer certificate,
///   Extended Mode with the user's Kerberos ticket (impersonated); tunnel endpoint the 6to4
///   address of the second public IPv4 address.
public enum DirectAccess {
    /// The server side.
    public struct Server: Sendable {
        public var firstPublicIPv4: IPv4Address
        public var secondPublicIPv4: IPv4Address
        /// The server's computer certificate, the roots it trusts and how it checks revocation
        /// (`directAccessServer` policy: weak by default, strong on request).
        public var certificate: TLSConfiguration
        /// Checks the computer accounts' NTLMv2 responses (infrastructure tunnel).
        public var ntlm: NTLMAcceptorSetup
        /// The keytab of the server's service principal (intranet tunnel).
        public var keytab: KerberosCredentials
        /// DNS servers and domain controllers the infrastructure tunnel reaches.
        public var infrastructureServers: [AddressRange]
        public var intranetPrefixes: [AddressRange]
        /// Where manage-out connections may come from (an ISATAP /96 or a native prefix): each
        /// becomes a rule on the infrastructure tunnel from which the server may start Quick
        /// Modes toward connected clients; nil: the server starts none (every other rule of
        /// the server starts none either).
        public var managementPrefixes: [AddressRange]?
        /// The computer and user checks of both tunnels.
        public var authorization: AuthorizationPolicy

        public init(
            firstPublicIPv4: IPv4Address, secondPublicIPv4: IPv4Address, certificate: TLSConfiguration,
            ntlm: NTLMAcceptorSetup, keytab: KerberosCredentials, infrastructureServers: [AddressRange],
            intranetPrefixes: [AddressRange], managementPrefixes: [AddressRange]? = nil,
            authorization: AuthorizationPolicy = AuthorizationPolicy(requiredComputerGroup: "DirectAccess Clients")
        ) {
            self.firstPublicIPv4 = firstPublicIPv4
            self.secondPublicIPv4 = secondPublicIPv4
            self.certificate = certificate
            self.ntlm = ntlm
            self.keytab = keytab
            self.infrastructureServers = infrastructureServers
            self.intranetPrefixes = intranetPrefixes
            self.managementPrefixes = managementPrefixes
            self.authorization = authorization
        }

        /// The infrastructure tunnel's endpoint: 131.107.0.2 → 2002:836b:2::836b:2.
        public var infrastructureTunnelEndpoint: IPAddress { .v6(.sixToFour(firstPublicIPv4)) }
        /// The intranet tunnel's endpoint, from the second address.
        public var intranetTunnelEndpoint: IPAddress { .v6(.sixToFour(secondPublicIPv4)) }

        /// One rule per infrastructure server range and per intranet prefix, each toward any
        /// client.
        public var rules: [ConnectionSecurityRule] {
            let clients = TrafficSelector(.allIPv6)
            let rules = TunnelRules(mainMode: AuthenticationSet([.certificate(certificate)])) {
                (TrafficSelector($0), clients)
            }
            let computer = ExtendedModePolicy(
                authentication: AuthenticationSet([.ntlm(initiator: nil, acceptor: ntlm)]))
            let infrastructure = rules.make(
                infrastructureServers, name: "DaServerToInfra", filterID: 70_100,
                endpoints: (infrastructureTunnelEndpoint, .allIPv6), extendedMode: computer,
                authorization: AuthorizationPolicy(
                    requiredComputerGroup: authorization.requiredComputerGroup,
                    requiresHealthCertificate: false))
            let intranet = rules.make(
                intranetPrefixes, name: "DaServerToCorp", filterID: 70_200,
                endpoints: (intranetTunnelEndpoint, .allIPv6),
                extendedMode: ExtendedModePolicy(
                    authentication: AuthenticationSet([.kerberos(initiator: nil, acceptor: keytab)])),
                authorization: authorization)
            let management = rules.make(
                managementPrefixes ?? [], name: "DaServerToMgmt", filterID: 70_150,
                endpoints: (infrastructureTunnelEndpoint, .allIPv6), extendedMode: computer,
                authorization: AuthorizationPolicy(requiredComputerGroup: authorization.requiredComputerGroup),
                managementPrefixes: true)
            return infrastructure + management + intranet
        }
    }

    /// The client side.
    public struct Client: Sendable {
        /// The client's IPv6 address (6to4, Teredo or IP-HTTPS): its tunnel endpoint and the
        /// source of its intranet traffic.
        public var address: IPAddress
        public var serverFirstPublicIPv4: IPv4Address
        public var serverSecondPublicIPv4: IPv4Address
        /// The computer certificate and the roots (`directAccessClient` policy: no revocation
        /// check by default).
        public var certificate: TLSConfiguration
        /// The computer account `NAME$` and its password (infrastructure tunnel).
        public var computerAccount: NTLMCredentials
        /// The logged-on user's tickets (intranet tunnel).
        public var user: KerberosCredentials
        public var infrastructureServers: [AddressRange]
        public var intranetPrefixes: [AddressRange]
        /// Where this client accepts manage-out connections from, over its infrastructure
        /// tunnel; nil: from nowhere (its other rules accept none either).
        public var managementPrefixes: [AddressRange]?
        /// Who the DirectAccess server must prove to be (its certificate's host name, its
        /// Kerberos SPN) on every tunnel; nil: any server the roots and the realm vouch for.
        public var serverIdentity: ResponderIdentity?

        public init(
            address: IPAddress, serverFirstPublicIPv4: IPv4Address, serverSecondPublicIPv4: IPv4Address,
            certificate: TLSConfiguration, computerAccount: NTLMCredentials, user: KerberosCredentials,
            infrastructureServers: [AddressRange], intranetPrefixes: [AddressRange],
            managementPrefixes: [AddressRange]? = nil,
            serverIdentity: ResponderIdentity? = nil
        ) {
            self.address = address
            self.serverFirstPublicIPv4 = serverFirstPublicIPv4
            self.serverSecondPublicIPv4 = serverSecondPublicIPv4
            self.certificate = certificate
            self.computerAccount = computerAccount
            self.user = user
            self.infrastructureServers = infrastructureServers
            self.intranetPrefixes = intranetPrefixes
            self.managementPrefixes = managementPrefixes
            self.serverIdentity = serverIdentity
        }

        public var rules: [ConnectionSecurityRule] {
            let local = TrafficSelector(AddressRange(address))
            let rules = TunnelRules(mainMode: AuthenticationSet([.certificate(certificate)])) {
                (local, TrafficSelector($0))
            }
            let computer = ExtendedModePolicy(
                authentication: AuthenticationSet([.ntlm(initiator: computerAccount, acceptor: nil)]))
            let infrastructureServer = AddressRange(.v6(.sixToFour(serverFirstPublicIPv4)))
            let infrastructure = rules.make(
                infrastructureServers, name: "ClientToDnsDc", filterID: 70_300,
                endpoints: (address, infrastructureServer), extendedMode: computer)
            let intranet = rules.make(
                intranetPrefixes, name: "ClientToCorp", filterID: 70_400,
                endpoints: (address, AddressRange(.v6(.sixToFour(serverSecondPublicIPv4)))),
                extendedMode: ExtendedModePolicy(
                    authentication: AuthenticationSet([.kerberos(initiator: user, acceptor: nil)]),
                    impersonate: true))
            // Manage out reaches the client over the infrastructure tunnel, which runs without a
            // logged-on user.
            let management = rules.make(
                managementPrefixes ?? [], name: "ClientToMgmt", filterID: 70_350,
                endpoints: (address, infrastructureServer), extendedMode: computer, managementPrefixes: true)
            return (infrastructure + management + intranet).map { rule in
                var rule = rule
                rule.responderIdentity = serverIdentity
                return rule
            }
        }
    }
}

extension DirectAccess {
    /// The tunnel-mode rules of one side, all with the computer certificate in Main Mode: one
    /// rule per range, named "DirectAccess Policy-NAME 1", "… 2" with filter IDs counted from
    /// `filterID`, the range on the side `selectors` puts it.
    fileprivate struct TunnelRules {
        var mainMode: AuthenticationSet
        var selectors: (AddressRange) -> (local: TrafficSelector, remote: TrafficSelector)

        func make(
            _ ranges: [AddressRange], name: String, filterID: UInt64,
            endpoints: (local: IPAddress, remote: AddressRange),
            extendedMode: ExtendedModePolicy, authorization: AuthorizationPolicy = .none,
            managementPrefixes: Bool = false
        ) -> [ConnectionSecurityRule] {
            ranges.enumerated().map { index, range in
                let (local, remote) = selectors(range)
                return ConnectionSecurityRule(
                    name: "DirectAccess Policy-\(name) \(index + 1)", filterID: filterID + UInt64(index), local: local,
                    remote: remote,
                    mode: .tunnel(localEndpoint: endpoints.local, remoteEndpoints: endpoints.remote),
                    mainModeAuthentication: mainMode,
                    extendedMode: extendedMode, authorization: authorization,
                    managementPrefixes: managementPrefixes ? [range] : [])
            }
        }
    }
}
