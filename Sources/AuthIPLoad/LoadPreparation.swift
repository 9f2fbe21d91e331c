import AuthIPCrypto
import AuthIPJSON
import AuthIPTrust
import AuthIPWire
import Foundation

/// The files of a load run, issued for it and thrown away after (`authip load prepare`): a
/// root, the DirectAccess server's certificate, one computer certificate per client, the
/// directory with one computer account per client, the server's configuration and the client
/// template `authip load` reads.
///
/// Client `n` (from 1) is `LOADnnnnn`: certificate `pki/clients/LOADnnnnn.pem`, account
/// `CORP\LOADnnnnn$` in the group DirectAccess Clients, and the 6to4 address of the IPv4 address
/// `firstClientIPv4 + n - 1`, each client in a /48 of its own as real 6to4 clients are. The
/// server's tunnel endpoints are the 6to4 addresses of `serverPublicIPv4`. All of them must be
/// local: in a network namespace, `ip -6 route add local 2002::/16 dev lo` with
/// `net.ipv6.ip_nonlocal_bind=1` (scripts/load-bench.sh).
public struct LoadPreparation: Sendable {
    public var directory: URL
    public var clients: Int
    /// Client keys: ECDSA P-256 (quick to make by the ten thousand) or RSA-2048 (as
    /// `authip-bench`'s infrastructure figures use).
    public var rsaClients: Bool
    public var serverPublicIPv4: [IPv4Address] = [IPv4Address(131, 107, 0, 2), IPv4Address(131, 107, 0, 3)]
    public var firstClientIPv4 = IPv4Address(198, 18, 0, 1)
    /// The server's IKE port (and NAT-T port, one above).
    public var port: UInt16 = 500

    public init(directory: URL, clients: Int, rsaClients: Bool = false) {
        self.directory = directory
        self.clients = clients
        self.rsaClients = rsaClients
    }

    /// The name of client `number` (from 1).
    public static func clientName(_ number: Int) -> String { String(format: "LOAD%05d", number) }

    /// The 6to4 tunnel endpoint of client `number` (from 1).
    public static func clientAddress(_ number: Int, first: IPv4Address) -> IPAddress {
        .v6(.sixToFour(IPv4Address(first.value &+ UInt32(number - 1))))
    }

    /// Writes everything; existing files of an earlier run are replaced.
    public func write(now: Date = Date()) throws {
        let fileManager = FileManager.default
        let clientsDirectory = directory.appendingPathComponent("pki/clients")
        try fileManager.createDirectory(at: clientsDirectory, withIntermediateDirectories: true)
        let notBefore = now.addingTimeInterval(-86_400)
        let notAfter = now.addingTimeInterval(365 * 86_400)
        let authority = try CertificateAuthority(
            commonName: "Load Run Root", organization: "swift-authip load", notBefore: notBefore, notAfter: notAfter)
        try write(authority.certificate.pem, to: "pki/root.pem")
        let server = try authority.issue(
            commonName: "DASERVER.corp.contoso.com", usage: .serverAuthentication, serial: 2, notBefore: notBefore,
            notAfter: notAfter)
        try write(server.certificate.pem, to: "pki/daserver.pem")
        try write(server.privateKeyPEM, to: "pki/daserver.key", secret: true)
        var random = SystemRandomSource()
        var accounts: [JSONValue] = []
        for number in 1...clients {
            let name = Self.clientName(number)
            let issued = try authority.issue(
                commonName: "\(name).corp.contoso.com", usage: .clientAuthentication, serial: 0x1000 + number,
                ecdsa: !rsaClients, notBefore: notBefore, notAfter: notAfter)
            try write(issued.certificate.pem, to: "pki/clients/\(name).pem")
            try write(issued.privateKeyPEM, to: "pki/clients/\(name).key", secret: true)
            let password = (0..<16).map { _ in String(format: "%02x", UInt8(truncatingIfNeeded: random.next())) }
            accounts.append(
                .object([
                    ("name", .string(name + "$")), ("kind", "computer"), ("password", .string(password.joined())),
                    ("groups", .array(["Domain Computers", "DirectAccess Clients"])),
                ]))
        }
        let directoryJSON = JSONValue.object([
            ("description", "Computer accounts issued for one load run"), ("domain", "CORP"),
            ("dnsDomain", "corp.contoso.com"), ("accounts", .array(accounts)),
        ])
        try write(directoryJSON.prettyText, to: "accounts.json", secret: true)
        // The intranet tunnel's Kerberos needs a realm (scripts/lab.sh makes one): an empty
        // keytab lets the server start, and its intranet tunnel refuses every ticket.
        try write("", to: "daserver.keytab", secret: true)
        try write(serverConfiguration.prettyText, to: "server.json")
        try write(clientTemplate.prettyText, to: "client.json", secret: true)
    }

    private var serverAddresses: [IPAddress] { serverPublicIPv4.map { .v6(.sixToFour($0)) } }

    var serverConfiguration: JSONValue {
        .object([
            ("computerName", "DASERVER"), ("principalName", "DASERVER$@CORP.CONTOSO.COM"),
            ("localAddresses", .array(serverAddresses.map { .string($0.description) })),
            ("port", .number(port)), ("natTraversalPort", .number(port &+ 1)),
            ("controlSocket", "server.sock"), ("dataPlane", "none"),
            (
                "directAccess",
                .object([
                    (
                        "server",
                        .object([
                            ("publicIPv4", .array(serverPublicIPv4.map { .string($0.description) })),
                            (
                                "certificate",
                                .object([
                                    (
                                        "identities",
                                        .array([
                                            .object([("certificate", "pki/daserver.pem"), ("key", "pki/daserver.key")])
                                        ])
                                    ),
                                    ("trustedRoots", .array(["pki/root.pem"])), ("revocation", "none"),
                                ])
                            ),
                            (
                                "ntlm",
                                .object([
                                    ("netbiosDomain", "CORP"), ("netbiosComputer", "DASERVER"),
                                    ("dnsDomain", "corp.contoso.com"), ("dnsComputer", "daserver.corp.contoso.com"),
                                    ("directory", "accounts.json"),
                                ])
                            ),
                            ("keytab", "daserver.keytab"),
                            ("infrastructureServers", .array(["2001:db8:1::53"])),
                            ("intranetPrefixes", .array(["2001:db8:1::/48"])),
                            ("directory", "accounts.json"),
                        ])
                    )
                ])
            ),
        ])
    }

    /// Client 1's configuration, with the `load` member that tells `authip load` where the
    /// other clients' certificates and accounts are.
    var clientTemplate: JSONValue {
        let name = Self.clientName(1)
        let address = Self.clientAddress(1, first: firstClientIPv4).description
        return .object([
            ("computerName", .string(name)), ("principalName", .string("\(name)$@CORP.CONTOSO.COM")),
            ("localAddresses", .array([.string(address)])),
            ("port", .number(port)), ("natTraversalPort", .number(port &+ 1)), ("dataPlane", "none"),
            (
                "directAccess",
                .object([
                    (
                        "client",
                        .object([
                            ("address", .string(address)),
                            ("serverPublicIPv4", .array(serverPublicIPv4.map { .string($0.description) })),
                            (
                                "certificate",
                                .object([
                                    (
                                        "identities",
                                        .array([
                                            .object([
                                                ("certificate", .string("pki/clients/\(name).pem")),
                                                ("key", .string("pki/clients/\(name).key")),
                                            ])
                                        ])
                                    ),
                                    ("trustedRoots", .array(["pki/root.pem"])),
                                ])
                            ),
                            ("computerAccount", .object([("user", .string(name + "$")), ("domain", "CORP")])),
                            ("user", .object([])),
                            ("infrastructureServers", .array(["2001:db8:1::53"])),
                            ("intranetPrefixes", .array(["2001:db8:1::/48"])),
                        ])
                    )
                ])
            ),
            (
                "acquire",
                .array([
                    .object([
                        ("source", .string(address)), ("destination", "2001:db8:1::53"), ("protocol", 17),
                        ("port", 53),
                    ]),
                    .object([
                        ("source", .string(address)), ("destination", "2001:db8:1:5::20"), ("protocol", 6),
                        ("port", 445),
                    ]),
                ])
            ),
            (
                "load",
                .object([
                    ("clients", .number(clients)), ("certificates", "pki/clients"), ("accounts", "accounts.json"),
                    ("firstClientIPv4", .string(firstClientIPv4.description)),
                ])
            ),
        ])
    }

    private func write(_ text: String, to path: String, secret: Bool = false) throws {
        try write(Array(text.utf8), to: path, secret: secret)
    }

    private func write(_ bytes: [UInt8], to path: String, secret: Bool = false) throws {
        let url = directory.appendingPathComponent(path)
        try? FileManager.default.removeItem(at: url)
        guard
            FileManager.default.createFile(
                atPath: url.path, contents: Data(bytes), attributes: [.posixPermissions: secret ? 0o600 : 0o644])
        else {
            throw LoadError.unwritable(url.path)
        }
    }
}

/// Why a load run could not be prepared or run.
public enum LoadError: Error, CustomStringConvertible, Sendable {
    case unwritable(String)
    case template(String)
    case client(Int, String)
    case responder(String)

    public var description: String {
        switch self {
        case .unwritable(let path): "cannot write \(path)"
        case .template(let reason): "the client template: \(reason)"
        case .client(let number, let reason): "client \(LoadPreparation.clientName(number)): \(reason)"
        case .responder(let reason): "the responder: \(reason)"
        }
    }
}
