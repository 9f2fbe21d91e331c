import AuthIP
import AuthIPWire

/// One member of `rules`: a connection security rule.
///
/// ```json
/// {"name": "Protect SMB", "filterID": 70000,
///  "local": "2001:db8:1::/48", "remote": "2001:db8::/32", "protocol": 6, "localPort": 0, "remotePort": 445,
///  "tunnel": {"localEndpoint": "2001:db8:1::1", "remoteEndpoints": "2001:db8:2::1"},
///  "authentication": [{"method": "anonymous"}],
///  "mainModeCrypto": {…}, "quickModeCrypto": {…},
///  "extendedMode": {"authentication": [{"method": "kerberos", "acceptor": {"keytab": "host.keytab"}}]},
///  "authorization": {"computerGroup": "DirectAccess Clients"}, "managementPrefixes": ["2001:db8:1:8000::/96"],
///  "peerSelectors": ["10.1.0.0/16"]}
/// ```
///
/// `local` and `remote` are an address, a prefix or a range `first-last`; `filterID`,
/// `protocol`, the ports (0: any) and the crypto sets are optional; without `tunnel` the rule
/// is transport mode. `extendedMode` (`ExtendedModeConfiguration`), `authorization`
/// (`AuthorizationConfiguration`) and `managementPrefixes` are optional. `peerSelectors`, for a
/// tunnel rule toward a range of peers, lists what a peer may propose as its own traffic
/// (`ConnectionSecurityRule.PeerSelectors.ranges`: peers behind a NAT, whose inner addresses
/// are not the address they come from); without it only the peer's own address.
struct RuleConfiguration: Decodable, Sendable {
    var name: String
    var filterID: UInt64
    var local: TrafficSelector
    var remote: TrafficSelector
    var mode: ConnectionSecurityRule.Mode
    var authentication: [AuthenticationConfiguration]
    var mainModeCrypto: MainModeCryptoSet
    var quickModeCrypto: QuickModeCryptoSet
    /// "integrity-key-first" (the default) or "encryption-key-first" (RISK 1, Docs/Interop.md).
    var quickModeKeyOrder: QuickModeKeyOrder
    var extendedMode: ExtendedModeConfiguration?
    var authorization: AuthorizationPolicy
    /// Where manage-out Quick Modes may come from under this rule (`ConnectionSecurityRule.managementPrefixes`).
    var managementPrefixes: [AddressRange]?
    var peerSelectors: [AddressRange]?

    private enum CodingKeys: String, CodingKey {
        case name, filterID, local, remote, `protocol`, localPort, remotePort, tunnel, authentication, mainModeCrypto,
            quickModeCrypto, quickModeKeyOrder, extendedMode, authorization, managementPrefixes, peerSelectors
    }

    private enum TunnelKeys: String, CodingKey { case localEndpoint, remoteEndpoints }

    static let rangeForms = "an address, a prefix or a range first-last"

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        filterID = try container.decodeIfPresent(UInt64.self, forKey: .filterID) ?? 0
        let ipProtocol = try container.decodeIfPresent(UInt8.self, forKey: .protocol) ?? 0
        local = TrafficSelector(
            try container.decode(.local, as: Self.rangeForms, AddressRange.init), ipProtocol: ipProtocol,
            port: try container.decodeIfPresent(UInt16.self, forKey: .localPort) ?? 0)
        remote = TrafficSelector(
            try container.decode(.remote, as: Self.rangeForms, AddressRange.init), ipProtocol: ipProtocol,
            port: try container.decodeIfPresent(UInt16.self, forKey: .remotePort) ?? 0)
        if container.contains(.tunnel) {
            let tunnel = try container.superDecoder(forKey: .tunnel)
            try tunnel.rejectUnknownMembers(TunnelKeys.self)
            let endpoints = try tunnel.container(keyedBy: TunnelKeys.self)
            mode = .tunnel(
                localEndpoint: try endpoints.decode(.localEndpoint, as: "an IP address", IPAddress.init),
                remoteEndpoints: try endpoints.decode(.remoteEndpoints, as: Self.rangeForms, AddressRange.init))
        } else {
            mode = .transport
        }
        authentication = try container.decodeNonEmpty([AuthenticationConfiguration].self, forKey: .authentication)
        mainModeCrypto =
            try container.decodeIfPresent(MainModeCryptoConfiguration.self, forKey: .mainModeCrypto)?.cryptoSet
            ?? .windowsDefault
        quickModeCrypto =
            try container.decodeIfPresent(QuickModeCryptoConfiguration.self, forKey: .quickModeCrypto)?.cryptoSet
            ?? .windowsDefault
        quickModeKeyOrder =
            try container.decodeIfPresent(
                .quickModeKeyOrder, as: "integrity-key-first or encryption-key-first", QuickModeKeyOrder.init(rawValue:)
            )
            ?? InteropProfile.quickModeKeyOrder
        extendedMode = try container.decodeIfPresent(ExtendedModeConfiguration.self, forKey: .extendedMode)
        authorization =
            try container.decodeIfPresent(AuthorizationConfiguration.self, forKey: .authorization)?.policy ?? .none
        managementPrefixes = try container.decodeRangesIfPresent(.managementPrefixes, required: true)
        peerSelectors = try container.decodeRangesIfPresent(.peerSelectors, required: true)
    }

    /// Whether a packet with these addresses, protocol and destination port falls under this rule.
    func covers(_ traffic: TrafficRequest) -> Bool {
        local.matches(traffic.source, ipProtocol: traffic.ipProtocol, port: traffic.sourcePort)
            && remote.matches(traffic.destination, ipProtocol: traffic.ipProtocol, port: traffic.destinationPort)
    }

    /// The rule with its credentials loaded; `field` names it in errors.
    func rule(
        field: String, workstation: String, file: (String) -> String
    ) throws(DriverConfigurationError) -> ConnectionSecurityRule {
        var rule = ConnectionSecurityRule(
            name: name, filterID: filterID, local: local, remote: remote, mode: mode,
            mainModeAuthentication: try AuthenticationConfiguration.set(
                authentication, field: "\(field).authentication", workstation: workstation, file: file),
            mainModeCrypto: mainModeCrypto,
            quickModeCrypto: quickModeCrypto,
            extendedMode: try extendedMode?.policy(
                field: "\(field).extendedMode", workstation: workstation, file: file),
            authorization: authorization, managementPrefixes: managementPrefixes)
        rule.quickModeKeyOrder = quickModeKeyOrder
        if let peerSelectors { rule.peerSelectors = .ranges(peerSelectors) }
        return rule
    }
}

/// A rule's `extendedMode`: its `authentication` list (as a rule's), and for an initiator
/// `impersonate` (run as the logged-on user, as the intranet tunnel does) and
/// `explicitCredentials`; for a responder `allowExplicitCredentials`.
struct ExtendedModeConfiguration: Decodable {
    var authentication: [AuthenticationConfiguration]
    var impersonate: Bool
    var explicitCredentials: Bool
    var allowExplicitCredentials: Bool

    private enum CodingKeys: String, CodingKey {
        case authentication, impersonate, explicitCredentials, allowExplicitCredentials
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        authentication = try container.decodeNonEmpty([AuthenticationConfiguration].self, forKey: .authentication)
        impersonate = try container.decodeIfPresent(Bool.self, forKey: .impersonate) ?? false
        explicitCredentials = try container.decodeIfPresent(Bool.self, forKey: .explicitCredentials) ?? false
        allowExplicitCredentials = try container.decodeIfPresent(Bool.self, forKey: .allowExplicitCredentials) ?? false
    }

    func policy(
        field: String, workstation: String, file: (String) -> String
    ) throws(DriverConfigurationError) -> ExtendedModePolicy {
        ExtendedModePolicy(
            authentication: try AuthenticationConfiguration.set(
                authentication, field: "\(field).authentication", workstation: workstation, file: file),
            impersonate: impersonate,
            credentialsAreExplicit: explicitCredentials, allowsExplicitCredentials: allowExplicitCredentials)
    }
}
