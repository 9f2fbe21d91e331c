import AuthIPAccounts
import AuthIPCrypto
import Foundation

/// Where Active Directory is and how to bind to it.
public struct LDAPDirectoryConfiguration: Hashable, Sendable {
    public enum Security: Hashable, Sendable {
        /// TLS from the first byte (`ldaps://`, port 636).
        case ldaps
        /// StartTLS on a plain connection (`ldap://`, port 389) before the bind.
        case startTLS
    }

    /// `ldaps://dc1.corp.contoso.com` or `ldap://dc1.corp.contoso.com`.
    public var uri: String
    public var security: Security
    /// The PEM file of the CAs the domain controller's certificate must chain to.
    public var caFile: String
    /// The service account: a UPN (`svc-authip@corp.contoso.com`) or a DN.
    public var bindDN: String
    public var password: SecretBytes
    /// Where accounts and groups are searched (`DC=corp,DC=contoso,DC=com`).
    public var baseDN: String
    /// The domain's NetBIOS name, which the accounts carry (`CORP`).
    public var domain: String

    public init(
        uri: String, security: Security, caFile: String, bindDN: String, password: SecretBytes, baseDN: String,
        domain: String
    ) {
        self.uri = uri
        self.security = security
        self.caFile = caFile
        self.bindDN = bindDN
        self.password = password
        self.baseDN = baseDN
        self.domain = domain
    }
}

/// Active Directory over LDAP (LDAPS or StartTLS, the DC's certificate checked against
/// `caFile`, a simple bind with a service account): the account of a computer (`NAME$`) or a
/// user, by sAMAccountName or userPrincipalName, with what makes it usable and every group it
/// belongs to, nested ones included (LDAP_MATCHING_RULE_IN_CHAIN). It holds no secrets of the
/// accounts. Each look-up opens its own session, so look-ups may run on several threads.
public struct LDAPAccountDirectory: RemoteAccountDirectory {
    public let configuration: LDAPDirectoryConfiguration
    private let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - configuration: the directory server, the service account and the search base.
    ///   - clock: the time account expiry is judged at.
    public init(configuration: LDAPDirectoryConfiguration, clock: @escaping @Sendable () -> Date = Date.init) {
        self.configuration = configuration
        self.clock = clock
    }

    /// userAccountControl and msDS-User-Account-Control-Computed bits.
    enum AccountControl {
        static let disabled: UInt32 = 0x2
        static let lockedOut: UInt32 = 0x10
        static let passwordExpired: UInt32 = 0x80_0000
        static let smartCardRequired: UInt32 = 0x4_0000
    }

    /// The OID of LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups.
    static let inChain = "1.2.840.113556.1.4.1941"

    public func lookUp(_ query: AccountQuery, timeout: Duration) -> AccountLookup {
        // This directory answers for its own domain only: another domain's NAME is another account.
        if let domain = query.domain, !servesDomain(domain) { return .notFound }
        do throws(LDAPError) {
            let connection = try LDAPConnection(configuration: configuration, timeout: timeout)
            let attribute = query.name.contains("@") ? "userPrincipalName" : "sAMAccountName"
            let attributes = [
                "sAMAccountName", "objectClass", "userAccountControl", "msDS-User-Account-Control-Computed",
                "accountExpires",
            ]
            let found = try connection.search(
                base: configuration.baseDN,
                filter: "(&(objectClass=user)(\(attribute)=\(ldapFilterValue(query.name))))",
                attributes: attributes, limit: 2)
            guard let entry = found.first else { return .notFound }
            guard found.count == 1 else { return .unavailable("\(found.count) accounts answer to \(query.name)") }
            let groups = try connection.search(
                base: configuration.baseDN,
                filter: "(&(objectClass=group)(member:\(Self.inChain):=\(ldapFilterValue(entry.dn))))",
                attributes: ["sAMAccountName", "objectSid"], limit: 0)
            // Each group by name and by SID, so that a policy may name either.
            let names = groups.flatMap {
                [$0.first("sAMAccountName"), $0.firstValue("objectSid").flatMap(Self.sid)].compactMap { $0 }
            }
            guard let account = account(entry, groups: names) else {
                return .unavailable("the directory did not give \(query.name)'s userAccountControl")
            }
            return .found(account)
        } catch {
            return .unavailable(error.description)
        }
    }

    /// Whether `domain` (a NetBIOS name, a DNS name or a Kerberos realm) is this directory's:
    /// `domain`, or the DNS name spelled by `baseDN`'s DC components.
    func servesDomain(_ domain: String) -> Bool {
        let dnsName = configuration.baseDN.split(separator: ",")
            .compactMap { part -> Substring? in
                let trimmed = part.drop { $0 == " " }
                return trimmed.uppercased().hasPrefix("DC=") ? trimmed.dropFirst(3) : nil
            }
            .joined(separator: ".")
        return [configuration.domain, dnsName].contains { $0.caseInsensitiveCompare(domain) == .orderedSame }
    }

    /// The account an entry describes; nil without a readable userAccountControl (an account
    /// whose state cannot be read is not taken as usable).
    func account(_ entry: LDAPConnection.Entry, groups: [String]) -> Account? {
        guard
            let control = entry.first("userAccountControl").flatMap(Int64.init).map({ UInt32(truncatingIfNeeded: $0) })
        else { return nil }
        let computed =
            entry.first("msDS-User-Account-Control-Computed").flatMap(Int64.init).map { UInt32(truncatingIfNeeded: $0) }
            ?? 0
        let isComputer = entry.values("objectClass").contains { $0.caseInsensitiveCompare("computer") == .orderedSame }
        let usable =
            control & AccountControl.disabled == 0
            && computed & (AccountControl.lockedOut | AccountControl.passwordExpired) == 0
            && !Self.hasExpired(entry.first("accountExpires"), at: clock())
        return Account(
            samAccountName: entry.first("sAMAccountName") ?? "", domain: configuration.domain,
            kind: isComputer ? .computer : .user, isEnabled: usable, ntHash: .empty, groups: groups.sorted(),
            policy: AuthenticationPolicy(smartCardRequired: control & AccountControl.smartCardRequired != 0))
    }

    /// A binary objectSid as `S-1-5-21-…` (MS-DTYP 2.4.2.2).
    static func sid(_ binary: [UInt8]) -> String? {
        guard binary.count >= 8, binary[0] == 1, binary.count == 8 + 4 * Int(binary[1]) else { return nil }
        let authority = binary[2..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let parts = stride(from: 8, to: binary.count, by: 4).map { offset in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(binary[offset + $1]) << (8 * $1) }
        }
        return "S-1-\(authority)" + parts.map { "-\($0)" }.joined()
    }

    /// accountExpires is a FILETIME; 0 and 2^63-1 mean never.
    static func hasExpired(_ value: String?, at now: Date) -> Bool {
        guard let value, let ticks = Int64(value), ticks > 0, ticks != Int64.max else { return false }
        let unix = Double(ticks) / 10_000_000 - 11_644_473_600
        return unix <= now.timeIntervalSince1970
    }
}
