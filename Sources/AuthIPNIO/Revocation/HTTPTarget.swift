/// The parts of an `http://` URL that a GET needs.
struct HTTPTarget: Hashable {
    var host: String
    var port: Int
    var path: String
    /// The authority as the URL spells it, for the Host field.
    var hostHeader: String

    init?(_ url: String) {
        guard url.lowercased().hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let remainder = rest.dropFirst(authority.count).prefix { $0 != "#" }
        path = remainder.isEmpty ? "/" : (remainder.hasPrefix("/") ? String(remainder) : "/" + remainder)
        hostHeader = String(authority)
        guard !authority.contains("@") else { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = 80
            } else {
                guard after.hasPrefix(":"), let number = UInt16(after.dropFirst()) else { return nil }
                port = Int(number)
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = UInt16(authority[authority.index(after: colon)...]) else { return nil }
            port = Int(number)
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty, port != 0, path.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
    }

    /// Where a redirect's Location leads from here: an absolute `http://` URL, or a path on
    /// the same server; nil for anything else.
    func following(_ location: String) -> HTTPTarget? {
        if location.hasPrefix("/") && !location.hasPrefix("//") {
            return HTTPTarget("http://\(hostHeader)\(location)")
        }
        return HTTPTarget(location)
    }
}
