import Foundation

/// Principal names as Windows spells them in GSS_ID and SSPI (`DOMAIN\NAME$`, `NAME$@REALM`,
/// `host/fqdn`, a UPN with a lower-case DNS domain), read as Kerberos principals.
public enum SSPIName {
    /// The Kerberos principal a name stands for, or nil for an empty one:
    /// - `DOMAIN\NAME` is `NAME` in the default realm (a NetBIOS domain is not a realm);
    /// - `name@dns.domain` is `name@DNS.DOMAIN` (Active Directory realms are the upper-case
    ///   DNS domain);
    /// - a service name `SERVICE/host[:port]` has its service class and host in lower case
    ///   (`HOST/DASERVER.corp.contoso.com` is `host/daserver.corp.contoso.com`);
    /// - anything else is taken as it is.
    public static func kerberosPrincipal(_ name: String) -> String? {
        var name = name.trimmingCharacters(in: .whitespaces)
        if let backslash = name.lastIndex(of: "\\") { name = String(name[name.index(after: backslash)...]) }
        guard !name.isEmpty else { return nil }
        var local = name, realm: String?
        if let at = name.lastIndex(of: "@") {
            local = String(name[..<at])
            realm = String(name[name.index(after: at)...]).uppercased()
        }
        guard !local.isEmpty, realm?.isEmpty != true else { return nil }
        if let slash = local.firstIndex(of: "/") {
            local = local[..<slash].lowercased() + "/" + local[local.index(after: slash)...].lowercased()
        }
        return realm.map { "\(local)@\($0)" } ?? local
    }

    /// The directory account a Kerberos principal authenticates: `name@REALM` is `name`; a
    /// computer's host principal (`host/NAME.domain`, the class in any case) is `NAME$`. Other
    /// service classes name no account: a service's key must not stand for a computer.
    public static func account(ofPrincipal principal: String) -> (name: String, realm: String?)? {
        let parts = principal.split(separator: "@", maxSplits: 1).map(String.init)
        guard let local = parts.first, !local.isEmpty else { return nil }
        let realm = parts.count == 2 ? parts[1] : nil
        guard let slash = local.firstIndex(of: "/") else { return (local, realm) }
        guard local[..<slash].lowercased() == "host" else { return nil }
        let host = local[local.index(after: slash)...].split(separator: ".").first.map(String.init) ?? ""
        guard !host.isEmpty else { return nil }
        return (host.uppercased() + "$", realm)
    }
}
