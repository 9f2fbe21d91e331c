import AuthIPTestSupport
import Foundation

/// Daemon configuration files for a responder on 127.0.0.1 and an initiator on 127.0.0.2, with
/// the certificates of TestVectors/pki/tls or the accounts of TestVectors/directory.
enum LoopbackConfiguration {
    enum Method {
        /// The responder presents server-rsa and checks the peer's chain with this revocation
        /// mode; the initiator presents this client certificate.
        case certificate(revocation: String = "none", client: String = "client-rsa")
        case ntlm
    }

    /// Free ports, and the responder's and initiator's configuration files written into
    /// `directory` for `method`.
    static func write(
        _ method: Method, in directory: URL
    ) throws -> (ports: LoopbackPorts, responder: URL, initiator: URL) {
        let ports = try LoopbackPorts.pick()
        let responder = directory.appendingPathComponent("responder.json")
        let initiator = directory.appendingPathComponent("initiator.json")
        try Self.responder(method, ports: ports).write(to: responder, atomically: true, encoding: .utf8)
        try Self.initiator(method, ports: ports).write(to: initiator, atomically: true, encoding: .utf8)
        return (ports, responder, initiator)
    }

    static let responderAddress = "127.0.0.1"
    static let initiatorAddress = "127.0.0.2"
    private static let pki = TestVectors.directory.appendingPathComponent("pki/tls").path
    private static let accounts = TestVectors.directory.appendingPathComponent("directory/accounts.json").path

    static func responder(_ method: Method, ports: LoopbackPorts) -> String {
        let authentication: String
        switch method {
        case .certificate(let revocation, _):
            authentication = """
                {"method": "certificate", "identities": [{"certificate": "\(pki)/server-rsa.pem", "key": "\(pki)/server-rsa.key"}],
                 "trustedRoots": ["\(pki)/root.pem"], "revocation": "\(revocation)", "peerUsage": "initiator"}
                """
        case .ntlm:
            authentication = """
                {"method": "ntlm", "acceptor": {"netbiosDomain": "CORP", "netbiosComputer": "DASERVER", "dnsDomain": "corp.contoso.com",
                                                "dnsComputer": "daserver.corp.contoso.com", "directory": "\(accounts)"}}
                """
        }
        return """
            {"computerName": "DASERVER", "principalName": "DASERVER$@CORP.CONTOSO.COM", "localAddresses": ["\(responderAddress)"],
             "port": \(ports.ike), "natTraversalPort": \(ports.natTraversal), "dataPlane": "none",
             "rules": [{"name": "Loopback clients", "local": "\(responderAddress)", "remote": "127.0.0.0/8",
                        "authentication": [\(authentication)]}]}
            """
    }

    static func initiator(_ method: Method, ports: LoopbackPorts) -> String {
        let authentication: String
        switch method {
        case .certificate(_, let client):
            authentication = """
                {"method": "certificate", "identities": [{"certificate": "\(pki)/\(client).pem", "key": "\(pki)/\(client).key"}],
                 "trustedRoots": ["\(pki)/root.pem"], "revocation": "none", "peerUsage": "responder"}
                """
        case .ntlm:
            authentication = """
                {"method": "ntlm", "initiator": {"user": "CLIENT1$", "domain": "CORP", "password": "Client1-Machine-Secret"}}
                """
        }
        return """
            {"computerName": "CLIENT1", "principalName": "CLIENT1$@CORP.CONTOSO.COM", "localAddresses": ["\(initiatorAddress)"],
             "port": \(ports.ike), "natTraversalPort": \(ports.natTraversal), "dataPlane": "none",
             "rules": [{"name": "To the server", "local": "\(initiatorAddress)", "remote": "\(responderAddress)",
                        "authentication": [\(authentication)]}],
             "acquire": [{"source": "\(initiatorAddress)", "destination": "\(responderAddress)", "protocol": 6, "port": 445}]}
            """
    }
}
