/// A hash index from a key to every slot filed under it: the first slot of each key in a
/// `SlotIndex`, the rest linked behind it. No allocation per key.
struct SlotChains<Key: SlotKey>: Sendable {
    private var heads = SlotIndex<Key>()
    private var links = SlotLinks()

    mutating func reserveCapacity(_ capacity: Int, in store: SlotStore<Key.Record>) {
        heads.reserveCapacity(capacity, in: store)
        links.reserveCapacity(capacity)
    }

    /// The slots filed under `value`, most recently filed first.
    func slots(for value: Key.Value, in store: SlotStore<Key.Record>) -> [UInt32] {
        heads.slot(for: value, in: store).map(links.list(from:)) ?? []
    }

    /// Files `slot`, whose record in `store` has the key `value`.
    mutating func insert(_ slot: UInt32, value: Key.Value, in store: SlotStore<Key.Record>) {
        if let head = heads.slot(for: value, in: store) {
            links.link(slot, before: head)
            heads.replace(head, with: slot, value: value)
        } else {
            links.link(slot, before: SlotLinks.end)
            heads.insert(slot, value: value, in: store)
        }
    }

    /// Unfiles `slot`, filed under `value`.
    mutating func remove(_ slot: UInt32, value: Key.Value) {
        let link = links[slot]
        if link.previous == SlotLinks.end {
            if link.next == SlotLinks.end {
                heads.remove(slot, value: value)
            } else {
                heads.replace(slot, with: link.next, value: value)
            }
        }
        links.unlink(slot)
    }
}
