/// The Quick Mode SAs of each Main Mode SA: list heads in an array indexed by the parent's
/// slot, the lists threaded through the children's slots.
struct ChildLists: Sendable {
    private var heads: [UInt32] = []
    private var links = SlotLinks()

    mutating func reserveCapacity(parents: Int, children: Int) {
        heads.reserveCapacity(parents)
        links.reserveCapacity(children)
    }

    func children(of parent: UInt32) -> [UInt32] {
        Int(parent) < heads.count ? links.list(from: heads[Int(parent)]) : []
    }

    mutating func insert(_ child: UInt32, under parent: UInt32) {
        let index = Int(parent)
        if index >= heads.count {
            heads.append(contentsOf: repeatElement(SlotLinks.end, count: index - heads.count + 1))
        }
        links.link(child, before: heads[index])
        heads[index] = child
    }

    mutating func remove(_ child: UInt32, under parent: UInt32) {
        if heads[Int(parent)] == child { heads[Int(parent)] = links[child].next }
        links.unlink(child)
    }
}
