import AuthIPWire

/// A numeric address and a port as a configuration writes them: `192.0.2.1:514`, or IPv6 in
/// brackets, `[2001:db8::1]:9464`. Port 0 is refused unless `allowsAnyPort`.
struct HostPort: Sendable, Hashable {
    var host: IPAddress
    var port: UInt16

    init?(_ text: String, allowsAnyPort: Bool = false) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
            port != 0 || allowsAnyPort
        else { return nil }
        var host = String(text[..<colon])
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
        if bracketed { host = String(host.dropFirst().dropLast()) }
        switch IPAddress(host) {
        case let address? where bracketed == (address.family == .v6): self.host = address
        default: return nil
        }
        self.port = port
    }
}

extension IPAddress {
    enum Family { case v4, v6 }
    var family: Family {
        if case .v4 = self { return .v4 }
        return .v6
    }
}
