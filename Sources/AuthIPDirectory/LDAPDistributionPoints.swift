import CLDAP

/// Why an `ldap://` distribution point gave no CRL.
public struct DistributionPointError: Error, Hashable, CustomStringConvertible {
    public var description: String
}

/// Reads CRLs from `ldap://` distribution points, as AD CS publishes them first:
/// `ldap:///CN=Issuing CA,CN=host,CN=CDP,CN=Public Key Services,CN=Services,CN=Configuration,DC=…`
/// `?certificateRevocationList?base?objectClass=cRLDistributionPoint`.
///
/// A URL without a host, or naming the directory's own host, is read from `directory` over
/// its TLS session and bind, as a domain member reads it. A URL naming any other host comes
/// from the certificate, so from whoever made it: it is read anonymously over plain LDAP and
/// never gets the directory's credentials (a CRL is signed; the channel need not be trusted).
/// Only a base-scope read of `certificateRevocationList` is made, whatever the URL asks.
public struct LDAPDistributionPoints: Sendable {
    /// The domain's directory, for URLs without a host; nil refuses them.
    public var directory: LDAPDirectoryConfiguration?

    public init(directory: LDAPDirectoryConfiguration?) {
        self.directory = directory
    }

    /// The attributes a CRL may be read from, as a URL may spell them.
    static let attributes: Set<String> = ["certificaterevocationlist", "certificaterevocationlist;binary"]

    /// The CRL `url` names, within `timeout` (connection, TLS, bind and search together) and
    /// `maximumSize` bytes.
    public func fetch(_ url: String, timeout: Duration, maximumSize: Int) throws(DistributionPointError) -> [UInt8] {
        let target = try Target(url)
        let ownDirectory = directory.flatMap { directory in
            target.host.isEmpty || Self.host(of: directory.uri) == target.host.lowercased() ? directory : nil
        }
        guard ownDirectory != nil || !target.host.isEmpty else {
            throw DistributionPointError(description: "no directory is configured for host-less ldap:/// URLs")
        }
        // The message carrying the value also carries the DN and the attribute name.
        let maximumMessage = maximumSize + 64 * 1024
        let entries: [LDAPConnection.Entry]
        do throws(LDAPError) {
            let connection: LDAPConnection
            if let ownDirectory {
                connection = try LDAPConnection(
                    configuration: ownDirectory, timeout: timeout, maximumMessage: maximumMessage)
            } else {
                connection = try LDAPConnection(
                    anonymous: "ldap://\(target.authority)", timeout: timeout, maximumMessage: maximumMessage)
            }
            entries = try connection.search(
                base: target.dn, scope: LDAP_SCOPE_BASE, filter: target.filter, attributes: [target.attribute],
                limit: 1)
        } catch {
            throw DistributionPointError(description: error.description)
        }
        guard let value = entries.first?.firstValue(target.attribute) else {
            throw DistributionPointError(description: "no \(target.attribute) at \(target.dn)")
        }
        guard value.count <= maximumSize else {
            throw DistributionPointError(description: "larger than \(maximumSize) bytes")
        }
        return value
    }

    /// The host of an `ldap://` or `ldaps://` URI, lower-cased.
    static func host(of uri: String) -> String? {
        (try? Target(uri, requireDN: false)).map { $0.host.lowercased() }
    }

    /// What an LDAP URL (RFC 4516) asks for, as libldap parses it.
    struct Target {
        var host: String
        var port: Int32
        var dn: String
        var attribute: String
        var filter: String

        var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        init(_ url: String, requireDN: Bool = true) throws(DistributionPointError) {
            let lowered = url.lowercased()
            guard lowered.hasPrefix("ldap://") || (!requireDN && lowered.hasPrefix("ldaps://")) else {
                throw DistributionPointError(description: "unsupported URL")
            }
            var description: UnsafeMutablePointer<LDAPURLDesc>?
            guard ldap_url_parse(url, &description) == LDAP_URL_SUCCESS, let parsed = description?.pointee else {
                throw DistributionPointError(description: "malformed LDAP URL")
            }
            defer { ldap_free_urldesc(description) }
            guard (0...65535).contains(parsed.lud_port) else {
                throw DistributionPointError(description: "malformed LDAP URL")
            }
            host = parsed.lud_host.map { String(cString: $0) } ?? ""
            port = parsed.lud_port != 0 ? parsed.lud_port : (lowered.hasPrefix("ldaps://") ? 636 : 389)
            dn = parsed.lud_dn.map { String(cString: $0) } ?? ""
            var names: [String] = []
            var index = 0
            while let attributes = parsed.lud_attrs, let name = attributes[index] {
                names.append(String(cString: name))
                index += 1
            }
            attribute = names.first ?? "certificateRevocationList"
            filter = parsed.lud_filter.map { String(cString: $0) } ?? "(objectClass=*)"
            guard !requireDN || !dn.isEmpty else { throw DistributionPointError(description: "no DN in the LDAP URL") }
            guard !requireDN || (names.count <= 1 && LDAPDistributionPoints.attributes.contains(attribute.lowercased()))
            else {
                throw DistributionPointError(description: "unsupported LDAP attribute \(names.joined(separator: ","))")
            }
            if !filter.hasPrefix("(") { filter = "(\(filter))" }
        }
    }
}
