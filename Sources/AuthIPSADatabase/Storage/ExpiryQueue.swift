import Foundation

/// A binary min-heap of slots by deadline that knows where each slot sits, so a slot's
/// deadline can change or the slot can leave in O(log n) and the heap never holds stale
/// entries: the earliest deadline is always exact.
struct ExpiryQueue: Sendable {
    struct Entry: Sendable {
        var deadline: Date
        var slot: UInt32
    }

    private static var absent: UInt32 { .max }

    private var heap: [Entry] = []
    /// Slot → index in `heap`, or `absent`.
    private var positions: [UInt32] = []

    var first: Entry? { heap.first }

    mutating func reserveCapacity(_ capacity: Int) {
        heap.reserveCapacity(capacity)
        positions.reserveCapacity(capacity)
    }

    mutating func insert(_ slot: UInt32, deadline: Date) {
        let index = Int(slot)
        if index >= positions.count {
            positions.append(contentsOf: repeatElement(Self.absent, count: index - positions.count + 1))
        }
        precondition(positions[index] == Self.absent, "slot \(slot) is already queued")
        heap.append(Entry(deadline: deadline, slot: slot))
        positions[index] = UInt32(heap.count - 1)
        siftUp(heap.count - 1)
    }

    mutating func update(_ slot: UInt32, deadline: Date) {
        let position = Int(positions[Int(slot)])
        let earlier = deadline < heap[position].deadline
        heap[position].deadline = deadline
        if earlier { siftUp(position) } else { siftDown(position) }
    }

    mutating func remove(_ slot: UInt32) {
        let position = Int(positions[Int(slot)])
        positions[Int(slot)] = Self.absent
        let last = heap.removeLast()
        guard position < heap.count else { return }
        let earlier = last.deadline < heap[position].deadline
        place(last, at: position)
        if earlier { siftUp(position) } else { siftDown(position) }
    }

    /// Every entry with a deadline at or before `date`, in no particular order. Visits only
    /// those entries and their direct children: O(k) for k results.
    func entries(dueBy date: Date) -> [Entry] {
        var due: [Entry] = []
        var pending = heap.isEmpty ? [] : [0]
        while let index = pending.popLast() {
            guard heap[index].deadline <= date else { continue }
            due.append(heap[index])
            if 2 * index + 1 < heap.count { pending.append(2 * index + 1) }
            if 2 * index + 2 < heap.count { pending.append(2 * index + 2) }
        }
        return due
    }

    private mutating func place(_ entry: Entry, at index: Int) {
        heap[index] = entry
        positions[Int(entry.slot)] = UInt32(index)
    }

    private mutating func siftUp(_ start: Int) {
        let entry = heap[start]
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard entry.deadline < heap[parent].deadline else { break }
            place(heap[parent], at: index)
            index = parent
        }
        place(entry, at: index)
    }

    private mutating func siftDown(_ start: Int) {
        let entry = heap[start]
        var index = start
        while true {
            var child = 2 * index + 1
            guard child < heap.count else { break }
            if child + 1 < heap.count, heap[child + 1].deadline < heap[child].deadline { child += 1 }
            guard heap[child].deadline < entry.deadline else { break }
            place(heap[child], at: index)
            index = child
        }
        place(entry, at: index)
    }
}
