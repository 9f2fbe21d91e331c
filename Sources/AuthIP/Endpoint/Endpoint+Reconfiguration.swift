import AuthIPErrors
import Foundation

/// `authip reload`: a new configuration while negotiations and SAs go on.
extension Endpoint {
    /// Adopts `configuration`: rules are matched by name, sessions moved to their rules' new
    /// positions; what a removed rule carried goes with ERROR_IPSEC_IKE_POLICY_CHANGE. A removed
    /// rule stays in `EndpointContext.rules`, matching nothing, while a session still points
    /// at it (until its notifies are acknowledged), so every index stays valid.
    mutating func reconfigure(_ configuration: EndpointConfiguration) {
        let old = context.rules
        var positions: [String: [Int]] = [:]
        for (index, rule) in configuration.rules.enumerated() { positions[rule.name, default: []].append(index) }
        var seen: [String: Int] = [:]
        var moves: [Int: Int] = [:]
        for (index, rule) in old.enumerated() where context.activeRules.contains(index) {
            let occurrence = seen[rule.name, default: 0]
            seen[rule.name] = occurrence + 1
            if let kept = positions[rule.name], occurrence < kept.count { moves[index] = kept[occurrence] }
        }
        // Every rule a session points at that is not kept is carried along, retired.
        let referenced = Set(sessions.values.flatMap(\.referencedRules))
        var retired: [ConnectionSecurityRule] = []
        for index in referenced.sorted() where moves[index] == nil {
            moves[index] = configuration.rules.count + retired.count
            retired.append(old[index])
        }
        context.adopt(configuration, retired: retired)
        for id in sessions.keys.sorted() {
            withSession(id) { session, shared in
                session.moveRules(moves)
                session.dropRetiredRules(&shared)
            }
        }
    }
}

extension MainModeMachine {
    /// Every rule position the session and its exchanges point at.
    var referencedRules: [Int] {
        var rules = [ruleIndex] + quickModes.values.map(\.ruleIndex) + quickModeSAs.values.map(\.ruleIndex)
        switch phase {
        case .extendedMode(_, let em):
            rules.append(em.ruleIndex)
            if let first = em.firstQuickMode { rules.append(first.exchange.ruleIndex) }
        case .established(_, let establishment):
            rules.append(establishment.authorizedRule)
        default:
            break
        }
        return rules
    }

    /// Points every rule position at the rule's new place.
    mutating func moveRules(_ moves: [Int: Int]) {
        func moved(_ index: Int) -> Int { moves[index] ?? index }
        ruleIndex = moved(ruleIndex)
        quickModes = quickModes.mapValues { exchange in
            var exchange = exchange
            exchange.ruleIndex = moved(exchange.ruleIndex)
            return exchange
        }
        quickModeSAs = quickModeSAs.mapValues { link in
            var link = link
            link.ruleIndex = moved(link.ruleIndex)
            return link
        }
        switch phase {
        case .extendedMode(let mm, var em):
            phase = .closing(nil)
            em.moveRules(moved)
            phase = .extendedMode(mm, em)
        case .established(let mm, var establishment):
            establishment.authorizedRule = moved(establishment.authorizedRule)
            phase = .established(mm, establishment)
        default:
            break
        }
    }

    /// Ends what points at a retired rule: the Main Mode (removed, or failed while it
    /// negotiates), or its Quick Modes and QM SAs alone.
    mutating func dropRetiredRules(_ shared: inout EndpointContext) {
        let active = shared.activeRules
        let retired = { (index: Int) in !active.contains(index) }
        if case .closing = phase { return }
        var mainModeRetired = retired(ruleIndex)
        switch phase {
        case .extendedMode(_, let em): mainModeRetired = mainModeRetired || retired(em.ruleIndex)
        case .established(_, let establishment):
            mainModeRetired = mainModeRetired || retired(establishment.authorizedRule)
        default: break
        }
        if mainModeRetired {
            if isNegotiating {
                failNegotiation(
                    isInExtendedMode ? .extendedMode : .mainMode, .local(.errorIpsecIkePolicyChange), notifyPeer: true,
                    &shared)
            } else {
                remove(notifyPeer: true, &shared)
            }
            return
        }
        for messageID in quickModes.keys.sorted() where retired(quickModes[messageID]!.ruleIndex) {
            dropQuickMode(
                messageID, error: .local(.errorIpsecIkePolicyChange), state: .sentFirstPayload, notifyPeer: true,
                &shared)
        }
        for saID in quickModeSAs.keys.sorted() where retired(quickModeSAs[saID]!.ruleIndex) {
            removeQuickModeSA(saID, notifyPeer: true, reason: nil, &shared)
        }
    }
}

extension ExtendedModeMachine {
    /// Points its rule, and its first Quick Mode's, at their new places.
    mutating func moveRules(_ moved: (Int) -> Int) {
        ruleIndex = moved(ruleIndex)
        switch state {
        case .awaitingQuickMode:
            break
        case .awaitingMethods(var first):
            first.exchange.ruleIndex = moved(first.exchange.ruleIndex)
            state = .awaitingMethods(first)
        case .authenticating(var first, let gss):
            first.exchange.ruleIndex = moved(first.exchange.ruleIndex)
            state = .authenticating(first, gss)
        case .finalSent(var first, let gss, let proof):
            first.exchange.ruleIndex = moved(first.exchange.ruleIndex)
            state = .finalSent(first, gss, proof)
        }
    }
}
