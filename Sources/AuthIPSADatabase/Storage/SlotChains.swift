/// A multimap from a key to the slots filed under it, as doubly linked lists threaded through
/// one array indexed by slot: eight bytes a slot and one dictionary entry a key, where a
/// dictionary of arrays would cost an allocation a key. Insertion and removal are O(1).
struct SlotChains<Key: Hashable & Sendable>: Sendable {
    private struct Link: Sendable {
        var previous: UInt32
        var next: UInt32
    }

    private static var end: UInt32 { .max }

    private var heads: [Key: UInt32] = [:]
    private var links: [Link] = []

    var keyCount: Int { heads.count }

    mutating func reserveCapacity(slots: Int) { links.reserveCapacity(slots) }

    /// Files a slot, not already filed here, under a key.
    mutating func insert(_ slot: UInt32, under key: Key) {
        let index = Int(slot)
        if index >= links.count {
            links.append(contentsOf: repeatElement(Link(previous: Self.end, next: Self.end), count: index - links.count + 1))
        }
        let head = heads[key] ?? Self.end
        links[index] = Link(previous: Self.end, next: head)
        if head != Self.end { links[Int(head)].previous = slot }
        heads[key] = slot
    }

    /// Unfiles a slot from the key it was filed under.
    mutating func remove(_ slot: UInt32, under key: Key) {
        let link = links[Int(slot)]
        if link.previous == Self.end {
            precondition(heads[key] == slot, "slot \(slot) is not filed under this key")
            heads[key] = link.next == Self.end ? nil : link.next
        } else {
            links[Int(link.previous)].next = link.next
        }
        if link.next != Self.end { links[Int(link.next)].previous = link.previous }
        links[Int(slot)] = Link(previous: Self.end, next: Self.end)
    }

    /// The slots filed under a key, most recently filed first.
    func slots(under key: Key) -> [UInt32] {
        var result: [UInt32] = []
        var slot = heads[key] ?? Self.end
        while slot != Self.end {
            result.append(slot)
            slot = links[Int(slot)].next
        }
        return result
    }
}
