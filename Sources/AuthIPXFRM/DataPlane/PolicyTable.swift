/// The kernel holds one policy per selector and direction. Several users may want one: the
/// trap a rule installs so that its traffic raises an ACQUIRE, and the SAs negotiated for that
/// traffic (a rekeyed SA overlaps its predecessor). This table decides what the kernel's policy
/// is after each change: the newest SA's while any SA wants it, else the rule's trap, else none.
struct PolicyTable {
    struct Key: Hashable {
        var selector: XFRMSelector
        var direction: XFRMDirection
    }

    /// What to do to the kernel's policy of a key.
    enum Change: Hashable {
        case put(XFRMPolicy)
        case delete(XFRMSelector, XFRMDirection)
    }

    private var traps: [Key: XFRMPolicy] = [:]
    /// The SAs' wishes per key, oldest first.
    private var wishes: [Key: [(owner: XFRMState.ID, policy: XFRMPolicy)]] = [:]
    /// Which keys each SA wished for.
    private var owned: [XFRMState.ID: [Key]] = [:]

    /// The policy the kernel should have for a key.
    private func effective(_ key: Key) -> XFRMPolicy? { wishes[key]?.last?.policy ?? traps[key] }

    private func change(_ key: Key, from before: XFRMPolicy?) -> Change? {
        let after = effective(key)
        if after == before { return nil }
        return after.map(Change.put) ?? .delete(key.selector, key.direction)
    }

    /// Replaces the traps with `policies` (at start and on reload).
    mutating func setTraps(_ policies: [XFRMPolicy]) -> [Change] {
        var next: [Key: XFRMPolicy] = [:]
        for policy in policies { next[Key(selector: policy.selector, direction: policy.direction)] = policy }
        let keys = Set(traps.keys).union(next.keys)
        let before = Dictionary(uniqueKeysWithValues: keys.map { ($0, effective($0)) })
        traps = next
        return keys.sorted { "\($0.selector)\($0.direction)" < "\($1.selector)\($1.direction)" }.compactMap {
            change($0, from: before[$0] ?? nil)
        }
    }

    /// An SA's policies, in force from now on.
    mutating func add(_ policies: [XFRMPolicy], owner: XFRMState.ID) -> [Change] {
        policies.compactMap { policy in
            let key = Key(selector: policy.selector, direction: policy.direction)
            let before = effective(key)
            wishes[key, default: []].append((owner, policy))
            owned[owner, default: []].append(key)
            return change(key, from: before)
        }
    }

    /// An SA gone: its policies give way to the next wish, or go.
    mutating func remove(owner: XFRMState.ID) -> [Change] {
        guard let keys = owned.removeValue(forKey: owner) else { return [] }
        return keys.compactMap { key in
            let before = effective(key)
            wishes[key]?.removeAll { $0.owner == owner }
            if wishes[key]?.isEmpty == true { wishes[key] = nil }
            return change(key, from: before)
        }
    }

    /// Every policy the kernel should hold.
    var installed: [XFRMPolicy] {
        Set(traps.keys).union(wishes.keys).compactMap(effective)
    }
}
