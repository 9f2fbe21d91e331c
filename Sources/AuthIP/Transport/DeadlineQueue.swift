import Foundation

/// The next deadline of each of many keys, with the earliest found in O(log n): a binary
/// min-heap whose stale entries (a key rescheduled or cancelled since) are skipped lazily.
package struct DeadlineQueue<Key: Hashable> {
    package init() {}

    private var heap: [(deadline: Date, key: Key)] = []
    package private(set) var deadlines: [Key: Date] = [:]

    /// Sets (or with nil clears) the key's deadline.
    package mutating func schedule(_ key: Key, at deadline: Date?) {
        guard deadlines[key] != deadline else { return }
        deadlines[key] = deadline
        guard let deadline else { return }
        heap.append((deadline, key))
        siftUp(heap.count - 1)
        if heap.count > 64 && heap.count > 4 * deadlines.count { compact() }
    }

    /// The earliest deadline.
    package mutating func earliest() -> Date? {
        dropStale()
        return heap.first?.deadline
    }

    /// Removes and returns the keys due at `now`, earliest first.
    package mutating func due(at now: Date) -> [Key] {
        var keys: [Key] = []
        while true {
            dropStale()
            guard let top = heap.first, top.deadline <= now else { return keys }
            popTop()
            deadlines[top.key] = nil
            keys.append(top.key)
        }
    }

    private mutating func dropStale() {
        while let top = heap.first, deadlines[top.key] != top.deadline { popTop() }
    }

    private mutating func compact() {
        heap = deadlines.map { ($0.value, $0.key) }
        for index in stride(from: heap.count / 2, through: 0, by: -1) { siftDown(index) }
    }

    private mutating func popTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
