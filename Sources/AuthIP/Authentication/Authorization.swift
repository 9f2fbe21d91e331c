import AuthIPAccounts
import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// The yes to the peer a completed authentication proved: every check said so. Only
/// `MainModeMachine.authorize` (the responder's checks of the initiator) and
/// `MainModeMachine.checkResponder` (the initiator's of the responder) make one; deriving Main Mode
/// keys and accepting the Extended Mode proof take one, so no SA is keyed or confirmed while
/// a check is pending, or after one said no.
struct Authorization {
    /// The peer's names the block list matches; checked again when the SA is confirmed.
    let names: [String]

    fileprivate init(names: [String]) { self.names = names }
}

/// The responder's authorization, once an authentication completes: the block list, the
/// account directory (enabled, group), NAP health, smart-card strength and, in Extended Mode,
/// that a computer is the one Main Mode authenticated. The initiator's check of the responder:
/// the block list and the rule's `ResponderIdentity`.
extension MainModeMachine {
    /// The responder's verdict on the peer that `context` authenticated.
    func authorize(
        _ stage: AuthenticationStage, context: any GSSContext, peerFlags: GSSFlags,
        _ shared: EndpointContext
    ) -> Result<Authorization, WindowsError> {
        let rule = shared.rules[ruleIndex(stage)]
        let peerChain = context.peerCertificates
        let lookup = Self.directoryLookup(for: context, shared)
        var account: Account?
        if case .found(let found)? = lookup {
            account = found
        } else if lookup == nil {
            account = context.authenticatedAccount
        }
        var names = [context.peerName].compactMap { $0 }
        if let account { names += [account.qualifiedName, account.samAccountName] }
        if shared.blockList.blocks(names, at: shared.now) { return .failure(.errorIpsecIkeAuthorizationFailure) }
        // A computer proved in Extended Mode must be the one Main Mode authenticated.
        if stage == .extendedMode, let mm = keyed, let proved = ComputerIdentity(context: context, account: account),
            let mainMode = Self.computer(of: mm), !shared.domains.isSameComputer(mainMode, proved)
        {
            return .failure(.errorIpsecIkeAuthorizationFailure)
        }
        if let lookup, context.method != .anonymous {
            if case .unavailable = lookup { return .failure(.secENoAuthenticatingAuthority) }
            guard let account else { return .failure(.errorIpsecIkeAuthorizationFailure) }
            if !account.isEnabled {
                return .failure(stage == .mainMode ? .errorIpsecIkeAuthorizationFailure : .secELogonDenied)
            }
        }
        // Groups: the SIDs of the Kerberos ticket's PAC where there is one, else the directory's.
        // A required group that nothing can vouch for refuses the peer.
        let pacSIDs = context.groupSIDs
        if context.method != .anonymous {
            let isComputer =
                account.map { $0.kind == .computer } ?? (Self.accountQuery(for: context)?.name.hasSuffix("$") == true)
            let group = isComputer ? rule.authorization.requiredComputerGroup : rule.authorization.requiredUserGroup
            if let group, !pacSIDs.contains(group), account?.isMember(of: group) != true {
                return .failure(.errorIpsecIkeAuthorizationFailure)
            }
        }
        if stage == .mainMode, rule.authorization.requiresHealthCertificate, context.method == .tls,
            peerChain.first?.isHealthCertificate != true
        {
            return .failure(.errorIpsecIkeAuthorizationFailure)
        }
        // A smart card shows as the pkinit indicator of a Kerberos credential; another method
        // (an NTLM fallback) cannot prove one.
        if stage == .extendedMode, rule.authorization.requiresSmartCard || account?.policy.smartCardRequired == true,
            !context.authenticationIndicators.contains("pkinit")
        {
            return .failure(.errorIpsecIkeStrongCredAuthorizationFailure)
        }
        return .success(Authorization(names: names))
    }

    /// The initiator's verdict on the responder `context` authenticated: not blocked, and the
    /// rule's expected identity when it has one (SEC_E_WRONG_PRINCIPAL otherwise). Methods that
    /// do not authenticate the responder (NTLM, Anonymous) name nobody and are not refused here.
    func checkResponder(
        _ stage: AuthenticationStage, context: any GSSContext, _ shared: EndpointContext
    ) -> Result<Authorization, WindowsError> {
        let names = [context.peerName].compactMap { $0 }
        if shared.blockList.blocks(names, at: shared.now) { return .failure(.errorIpsecIkeAuthorizationFailure) }
        guard let expected = shared.rules[ruleIndex(stage)].responderIdentity else {
            return .success(Authorization(names: names))
        }
        switch context.method {
        case .tls:
            let hosts = expected.certificateHostNames
            guard
                hosts.isEmpty
                    || context.peerCertificates.first.map({ leaf in hosts.contains(where: leaf.isFor(host:)) }) == true
            else {
                return .failure(.secEWrongPrincipal)
            }
        case .kerberos:
            guard let spn = expected.servicePrincipalName, let peer = context.peerName else { break }
            guard Self.samePrincipal(peer, spn) else { return .failure(.secEWrongPrincipal) }
        default:
            break
        }
        return .success(Authorization(names: names))
    }

    /// The Kerberos target of an initiator: the rule's expected SPN, else the one GSS_ID named.
    func kerberosTarget(_ stage: AuthenticationStage, announced: String?, _ shared: EndpointContext) -> String? {
        shared.rules[ruleIndex(stage)].responderIdentity?.servicePrincipalName
            ?? announced.flatMap(SSPIName.kerberosPrincipal)
    }

    /// Two principal names for one principal: equal without regard to case, a missing realm
    /// matching any.
    static func samePrincipal(_ a: String, _ b: String) -> Bool {
        let left = a.split(separator: "@", maxSplits: 1), right = b.split(separator: "@", maxSplits: 1)
        guard left.first?.lowercased() == right.first?.lowercased() else { return false }
        return left.count < 2 || right.count < 2 || left[1].lowercased() == right[1].lowercased()
    }

    /// What the directory says of the authenticated peer's account; nil when no directory is
    /// configured. The remote directory's answer comes from the cache (the negotiation waited
    /// for one).
    static func directoryLookup(for context: any GSSContext, _ shared: EndpointContext) -> AccountLookup? {
        if shared.configuration.remoteDirectory != nil {
            guard let query = accountQuery(for: context) else { return .notFound }
            return shared.accountCache.answer(for: query.key, at: shared.now) ?? .unavailable("no answer")
        }
        guard let directory = shared.configuration.directory else { return nil }
        if context.method == .ntlm, context.role == .acceptor {
            return context.authenticatedAccount.map { .found($0) } ?? .notFound
        }
        return accountQuery(for: context).flatMap { directory.account(named: $0.name, inDomain: "") }.map { .found($0) }
            ?? .notFound
    }

    /// The directory account of an authenticated peer, with the domain its credential named:
    /// the NTLM account itself; for Kerberos the principal's name and realm (a
    /// `host/NAME.domain` service principal is the computer `NAME$`); for a certificate the
    /// first label of its DNS name (or common name) as a computer account.
    static func accountQuery(for context: any GSSContext) -> AccountQuery? {
        if context.method == .ntlm, context.role == .acceptor {
            return context.authenticatedAccount.map { AccountQuery(name: $0.samAccountName, domain: $0.domain) }
        }
        if context.method == .kerberos, let principal = context.peerName {
            return SSPIName.account(ofPrincipal: principal).map { AccountQuery(name: $0.name, domain: $0.realm) }
        }
        if context.method == .tls, let certificate = context.peerCertificates.first {
            return computerAccount(of: certificate).map { AccountQuery(name: $0) }
        }
        return nil
    }

    /// The computer Main Mode authenticated, when it was one: by its certificate, its Kerberos
    /// principal or its NTLM account.
    static func computer(of mm: KeyedMainMode) -> ComputerIdentity? {
        switch mm.method {
        case .tls: return mm.peerComputer
        case .kerberos, .ntlm: return mm.remoteIdentity.flatMap { ComputerIdentity(name: $0, method: mm.method) }
        default: return nil
        }
    }

    /// The computer account a computer certificate names: the first label of its DNS name,
    /// `NAME$`.
    static func computerAccount(of certificate: Certificate) -> String? {
        ComputerIdentity(certificate: certificate)?.account
    }
}

extension MainModeMachine {
    /// Every name of the peer a check of this negotiation has seen so far.
    var knownPeerNames: [String] {
        var names: [String] = []
        if let mm = keyed { names += mm.authorization.names + [mm.remoteIdentity].compactMap { $0 } }
        for (_, gss) in negotiations {
            names += gss.authorization?.names ?? []
            names += [gss.context?.peerName, gss.lastPeerName].compactMap { $0 }
        }
        return names
    }

    /// Whether the identities of an SA are still allowed at `now`: blocks that came after its
    /// authorization count as well.
    func isBlocked(_ authorizations: [Authorization?], _ shared: EndpointContext) -> Bool {
        shared.blockList.blocks(authorizations.compactMap { $0 }.flatMap(\.names), at: shared.now)
    }
}

/// A computer an authentication named: its account `NAME$` and, when the credential says, its
/// domain (a DNS domain or Kerberos realm, or a NetBIOS domain name).
struct ComputerIdentity: Hashable {
    var account: String
    var domain: String?

    init(account: String, domain: String?) {
        self.account = account
        self.domain = domain
    }

    /// From a computer certificate: `client1.corp.contoso.com` is `CLIENT1$` of `corp.contoso.com`.
    init?(certificate: Certificate) {
        guard let name = certificate.computerDNSName, let label = name.split(separator: ".").first, !label.isEmpty
        else { return nil }
        account = label.uppercased() + "$"
        let rest = name.split(separator: ".").dropFirst()
        domain = rest.isEmpty ? nil : rest.joined(separator: ".")
    }

    /// From a Kerberos principal (`host/client1.corp.contoso.com@REALM`, `CLIENT1$@REALM`) or an
    /// NTLM account (`CORP\CLIENT1$`); nil when it names a user.
    init?(name: String, method: AuthMethod) {
        if method == .ntlm {
            let parts = name.split(separator: "\\", maxSplits: 1).map(String.init)
            guard let account = parts.last, account.hasSuffix("$") else { return nil }
            self.account = account.uppercased()
            domain = parts.count == 2 ? parts[0] : nil
            return
        }
        let parts = name.split(separator: "@", maxSplits: 1).map(String.init)
        let realm = parts.count == 2 ? parts[1] : nil
        if parts[0].lowercased().hasPrefix("host/") {
            guard let label = parts[0].dropFirst(5).split(separator: ".").first else { return nil }
            account = label.uppercased() + "$"
        } else {
            guard parts[0].hasSuffix("$") else { return nil }
            account = parts[0].uppercased()
        }
        domain = realm
    }

    /// The computer an Extended Mode context proved, with its directory account when known;
    /// nil for a user.
    init?(context: any GSSContext, account: Account?) {
        if let account, account.kind == .computer {
            self.init(account: account.samAccountName.uppercased(), domain: account.domain)
            return
        }
        guard context.method == .kerberos || context.method == .ntlm, let name = context.peerName else { return nil }
        self.init(name: name, method: context.method)
    }
}

/// The domains the endpoint knows by both names (NetBIOS and DNS), from its NTLM acceptors and
/// its directory: what decides whether two credentials name the same domain.
struct DomainNames {
    /// NetBIOS name (upper case) → DNS name (lower case).
    private var dnsByNetBIOS: [String: String] = [:]

    init(_ configuration: EndpointConfiguration) {
        for rule in configuration.rules {
            for set in [rule.mainModeAuthentication, rule.extendedMode?.authentication].compactMap({ $0 }) {
                for case .ntlm(_, let acceptor?) in set.methods {
                    let names = acceptor.configuration
                    dnsByNetBIOS[names.netbiosDomainName.uppercased()] = names.dnsDomainName.lowercased()
                }
            }
        }
        if let own = configuration.directory?.ownDomain, let dns = own.dns {
            dnsByNetBIOS[own.netBIOS.uppercased()] = dns.lowercased()
        }
    }

    /// A domain in one form: a DNS name or realm in lower case, or the DNS name of a known
    /// NetBIOS name; an unknown NetBIOS name stays itself (upper case).
    private func canonical(_ domain: String) -> (name: String, isDNS: Bool) {
        if domain.contains(".") { return (domain.lowercased(), true) }
        if let dns = dnsByNetBIOS[domain.uppercased()] { return (dns, true) }
        return (domain.uppercased(), false)
    }

    /// Whether two identities are one computer: the same account and, when both name a domain,
    /// the same domain. A NetBIOS name the endpoint cannot map is the same only as itself.
    func isSameComputer(_ a: ComputerIdentity, _ b: ComputerIdentity) -> Bool {
        guard a.account == b.account else { return false }
        guard let left = a.domain, let right = b.domain else { return true }
        let l = canonical(left), r = canonical(right)
        return l == r
    }
}
