/// Doubly linked lists of slots threaded through one array indexed by slot: eight bytes a
/// slot for any number of lists, with O(1) insertion and removal.
struct SlotLinks: Sendable {
    struct Link: Sendable {
        var previous: UInt32
        var next: UInt32
    }

    static var end: UInt32 { .max }

    private var links: [Link] = []

    mutating func reserveCapacity(_ capacity: Int) { links.reserveCapacity(capacity) }

    subscript(slot: UInt32) -> Link { links[Int(slot)] }

    /// Puts `slot` at the front of the list that starts at `head` (`end`: a new list).
    mutating func link(_ slot: UInt32, before head: UInt32) {
        let index = Int(slot)
        if index >= links.count {
            links.append(
                contentsOf: repeatElement(Link(previous: Self.end, next: Self.end), count: index - links.count + 1))
        }
        links[index] = Link(previous: Self.end, next: head)
        if head != Self.end { links[Int(head)].previous = slot }
    }

    /// Takes `slot` out of its list; the caller moves the list's head if `slot` was it.
    mutating func unlink(_ slot: UInt32) {
        let link = links[Int(slot)]
        if link.previous != Self.end { links[Int(link.previous)].next = link.next }
        if link.next != Self.end { links[Int(link.next)].previous = link.previous }
        links[Int(slot)] = Link(previous: Self.end, next: Self.end)
    }

    /// The slots of the list that starts at `head`, in order.
    func list(from head: UInt32) -> [UInt32] {
        var result: [UInt32] = []
        var slot = head
        while slot != Self.end {
            result.append(slot)
            slot = links[Int(slot)].next
        }
        return result
    }
}
