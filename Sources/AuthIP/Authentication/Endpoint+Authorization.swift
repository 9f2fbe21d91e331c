import AuthIPErrors
import AuthIPGSS
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// The responder's authorization, once an authentication completes: the block list, the
/// account directory (enabled, group), NAP health and smart-card strength.
extension Endpoint {
    /// The reason to refuse the peer that `context` authenticated, or nil to accept it.
    func authorizationFailure(_ session: MainModeSession, _ stage: AuthenticationStage, context: any GSSContext,
                              peerFlags: GSSFlags) -> WindowsError? {
        let rule = rules[stage == .extendedMode ? (session.established?.extended?.ruleIndex ?? session.ruleIndex) : session.ruleIndex]
        let peerChain = (context as? TLSContext)?.peerChain ?? []
        let lookup = directoryLookup(for: context, chain: peerChain)
        var account: Account?
        if case .found(let found)? = lookup {
            account = found
        } else if lookup == nil {
            account = (context as? NTLMAcceptorContext)?.account
        }
        var names = [context.peerName].compactMap { $0 }
        if let account { names += [account.qualifiedName, account.samAccountName] }
        if blockList.blocks(names, at: now) { return .errorIpsecIkeAuthorizationFailure }
        // A computer proved in Extended Mode must be the one Main Mode authenticated.
        if stage == .extendedMode, account?.kind == .computer, let mm = session.established,
           let mainModeComputer = Self.computerName(of: mm), mainModeComputer != account?.samAccountName.uppercased() {
            return .errorIpsecIkeAuthorizationFailure
        }
        if let lookup, context.method != .anonymous {
            if case .unavailable = lookup { return .secENoAuthenticatingAuthority }
            guard let account else { return .errorIpsecIkeAuthorizationFailure }
            if !account.isEnabled { return stage == .mainMode ? .errorIpsecIkeAuthorizationFailure : .secELogonDenied }
        }
        // Groups: the SIDs of the Kerberos ticket's PAC where there is one, else the directory's.
        // A required group that nothing can vouch for refuses the peer.
        let pacSIDs = (context as? KerberosContext)?.sids ?? []
        if context.method != .anonymous {
            let isComputer = account.map { $0.kind == .computer } ?? (accountQuery(for: context, chain: peerChain)?.name.hasSuffix("$") == true)
            let group = isComputer ? rule.authorization.requiredComputerGroup : rule.authorization.requiredUserGroup
            if let group, !pacSIDs.contains(group), account?.isMember(of: group) != true { return .errorIpsecIkeAuthorizationFailure }
        }
        if stage == .mainMode, rule.authorization.requiresHealthCertificate, context.method == .tls,
           peerChain.first?.isHealthCertificate != true {
            return .errorIpsecIkeAuthorizationFailure
        }
        // A smart card shows as the pkinit indicator of a Kerberos credential; another method
        // (an NTLM fallback) cannot prove one.
        if stage == .extendedMode, rule.authorization.requiresSmartCard || account?.policy.smartCardRequired == true,
           (context as? KerberosContext)?.authenticationIndicators.contains("pkinit") != true {
            return .errorIpsecIkeStrongCredAuthorizationFailure
        }
        return nil
    }

    /// What the directory says of the authenticated peer's account; nil when no directory is
    /// configured. The remote directory's answer comes from the cache (`waitForAccount` made
    /// sure there is one).
    func directoryLookup(for context: any GSSContext, chain: [Certificate]) -> AccountLookup? {
        if configuration.remoteDirectory != nil {
            guard let query = accountQuery(for: context, chain: chain) else { return .notFound }
            return accountCache.answer(for: query.key, at: now) ?? .unavailable("no answer")
        }
        guard let directory = configuration.directory else { return nil }
        if let ntlm = context as? NTLMAcceptorContext { return ntlm.account.map { .found($0) } ?? .notFound }
        return accountQuery(for: context, chain: chain).flatMap { directory.account(named: $0.name, inDomain: "") }.map { .found($0) } ?? .notFound
    }

    /// The directory account of an authenticated peer, with the domain its credential named:
    /// the NTLM account itself; for Kerberos the principal's name and realm (a
    /// `host/NAME.domain` service principal is the computer `NAME$`); for a certificate the
    /// first label of its common name as a computer account.
    func accountQuery(for context: any GSSContext, chain: [Certificate]) -> AccountQuery? {
        if let ntlm = context as? NTLMAcceptorContext {
            return ntlm.account.map { AccountQuery(name: $0.samAccountName, domain: $0.domain) }
        }
        if context.method == .kerberos, let principal = context.peerName {
            let parts = principal.split(separator: "@", maxSplits: 1).map(String.init)
            let realm = parts.count == 2 ? parts[1] : nil
            guard parts[0].hasPrefix("host/") else { return AccountQuery(name: parts[0], domain: realm) }
            return parts[0].dropFirst(5).split(separator: ".").first.map { AccountQuery(name: $0.uppercased() + "$", domain: realm) }
        }
        if context.method == .tls, let certificate = chain.first { return Self.computerAccount(of: certificate).map { AccountQuery(name: $0) } }
        return nil
    }

    /// The computer account (`NAME$`, upper case) Main Mode authenticated, when it was one.
    static func computerName(of mm: EstablishedMainMode) -> String? {
        switch mm.method {
        case .tls:
            return mm.peerChain.first.flatMap(computerAccount(of:))
        case .ntlm:
            return mm.remoteIdentity?.split(separator: "\\").last.map { $0.uppercased() }
        default:
            return nil
        }
    }

    /// The computer account a computer certificate names: the first label of its CN, `NAME$`.
    static func computerAccount(of certificate: Certificate) -> String? {
        certificate.commonName?.split(separator: ".").first.map { $0.uppercased() + "$" }
    }

    /// Blocks an identity: its SAs go at once (the peers told), negotiations of it fail, and
    /// new ones are refused until `until`.
    mutating func block(_ pattern: WildcardPattern, until: Date?) {
        blockList.block(pattern, until: until)
        accountCache.removeAll()
        removeMainModeSAs(matching: MainModeSAFilter(remoteIdentity: pattern, identityScope: .either))
        for id in sessions.keys.sorted() {
            guard var session = sessions[id], let mm = session.established, !mm.confirmed,
                  let identity = mm.remoteIdentity, pattern.matches(identity) else { continue }
            failNegotiation(&session, .mainMode, .local(.errorIpsecIkeAuthorizationFailure), notifyPeer: true)
        }
    }
}
