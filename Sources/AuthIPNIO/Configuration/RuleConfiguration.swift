import AuthIP
import AuthIPWire

/// One member of `rules`: a connection security rule.
///
/// ```json
/// {"name": "Protect SMB", "filterID": 70000,
///  "local": "2001:db8:1::/48", "remote": "2001:db8::/32", "protocol": 6, "localPort": 0, "remotePort": 445,
///  "tunnel": {"localEndpoint": "2001:db8:1::1", "remoteEndpoints": "2001:db8:2::1"},
///  "authentication": [{"method": "anonymous"}],
///  "mainModeCrypto": {…}, "quickModeCrypto": {…}}
/// ```
///
/// `local` and `remote` are an address, a prefix or a range `first-last`; `filterID`,
/// `protocol`, the ports (0: any) and the crypto sets are optional; without `tunnel` the rule
/// is transport mode.
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

    private enum CodingKeys: String, CodingKey {
        case name, filterID, local, remote, `protocol`, localPort, remotePort, tunnel, authentication, mainModeCrypto,
            quickModeCrypto, quickModeKeyOrder
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
        var methods: [AuthenticationProposal] = []
        for (index, method) in authentication.enumerated() {
            methods.append(
                try method.proposal(field: "\(field).authentication[\(index)]", workstation: workstation, file: file))
        }
        var rule = ConnectionSecurityRule(
            name: name, filterID: filterID, local: local, remote: remote, mode: mode,
            mainModeAuthentication: AuthenticationSet(methods), mainModeCrypto: mainModeCrypto,
            quickModeCrypto: quickModeCrypto)
        rule.quickModeKeyOrder = quickModeKeyOrder
        return rule
    }
}
