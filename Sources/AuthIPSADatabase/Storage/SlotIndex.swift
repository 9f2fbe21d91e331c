/// A hash index from a key to the one slot filed under it, holding nothing but slots: an
/// open-addressing table (linear probing, tombstones) that compares keys by reading them
/// from the records. Four bytes a bucket, where a `Dictionary` from key to slot would also
/// store every key.
struct SlotIndex<Key: SlotKey>: Sendable {
    private static var empty: UInt32 { .max }
    private static var removed: UInt32 { .max - 1 }

    private var buckets: [UInt32] = []
    private var count = 0
    private var tombstones = 0

    /// The slot filed under `value`.
    func slot(for value: Key.Value, in store: SlotStore<Key.Record>) -> UInt32? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var i = Key.hash(value) & mask
        while buckets[i] != Self.empty {
            let slot = buckets[i]
            if slot != Self.removed, let filed = Key.value(of: store[slot]), Key.equal(filed, value) { return slot }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Files `slot`, not filed here yet, under `value`. The records of the slots already
    /// filed must be in `store` under the keys they were filed by, for when the table grows.
    mutating func insert(_ slot: UInt32, value: Key.Value, in store: SlotStore<Key.Record>) {
        if (count + tombstones + 1) * 4 > buckets.count * 3 { rebuild(capacity: count + 1, in: store) }
        let mask = buckets.count - 1
        var i = Key.hash(value) & mask
        while buckets[i] != Self.empty, buckets[i] != Self.removed { i = (i + 1) & mask }
        if buckets[i] == Self.removed { tombstones -= 1 }
        buckets[i] = slot
        count += 1
    }

    /// Unfiles `slot`, filed under `value`.
    mutating func remove(_ slot: UInt32, value: Key.Value) {
        let i = bucket(of: slot, value: value)
        let mask = buckets.count - 1
        // A bucket before an empty one ends no probe sequence, so it can be emptied.
        if buckets[(i + 1) & mask] == Self.empty {
            buckets[i] = Self.empty
        } else {
            buckets[i] = Self.removed
            tombstones += 1
        }
        count -= 1
    }

    /// Files `new` in place of `old` under the same `value`.
    mutating func replace(_ old: UInt32, with new: UInt32, value: Key.Value) {
        buckets[bucket(of: old, value: value)] = new
    }

    mutating func reserveCapacity(_ capacity: Int, in store: SlotStore<Key.Record>) {
        if capacity * 4 > buckets.count * 3 { rebuild(capacity: capacity, in: store) }
    }

    private func bucket(of slot: UInt32, value: Key.Value) -> Int {
        let mask = buckets.count - 1
        var i = Key.hash(value) & mask
        while buckets[i] != slot {
            precondition(buckets[i] != Self.empty, "slot \(slot) is not filed under this key")
            i = (i + 1) & mask
        }
        return i
    }

    /// Refiles every slot into a table at most half full at `capacity` entries, dropping
    /// tombstones.
    private mutating func rebuild(capacity: Int, in store: SlotStore<Key.Record>) {
        var size = max(16, buckets.count)
        while size < 2 * capacity { size *= 2 }
        let old = buckets
        buckets = Array(repeating: Self.empty, count: size)
        tombstones = 0
        let mask = size - 1
        for slot in old where slot != Self.empty && slot != Self.removed {
            var i = Key.hash(Key.value(of: store[slot])!) & mask
            while buckets[i] != Self.empty { i = (i + 1) & mask }
            buckets[i] = slot
        }
    }
}
