/// Records in a dense array, each at a slot that stays fixed until the record is removed; the
/// slots of removed records are reused. The indexes name records by slot: four bytes, and no
/// hashing on the way from an index to its record.
struct SlotStore<Element: Sendable>: Sendable {
    private var elements: [Element?] = []
    private var freeSlots: [UInt32] = []

    var count: Int { elements.count - freeSlots.count }

    /// One past the highest slot ever used.
    var slotCount: Int { elements.count }

    mutating func reserveCapacity(_ capacity: Int) { elements.reserveCapacity(capacity) }

    mutating func insert(_ element: Element) -> UInt32 {
        if let slot = freeSlots.popLast() {
            elements[Int(slot)] = element
            return slot
        }
        elements.append(element)
        return UInt32(elements.count - 1)
    }

    @discardableResult
    mutating func remove(_ slot: UInt32) -> Element {
        guard let element = elements[Int(slot)] else { preconditionFailure("slot \(slot) is empty") }
        elements[Int(slot)] = nil
        freeSlots.append(slot)
        return element
    }

    /// The record at an occupied slot.
    subscript(slot: UInt32) -> Element {
        get {
            guard let element = elements[Int(slot)] else { preconditionFailure("slot \(slot) is empty") }
            return element
        }
        _modify {
            guard elements[Int(slot)] != nil else { preconditionFailure("slot \(slot) is empty") }
            yield &elements[Int(slot)]!
        }
    }

    /// Every record with its slot, in slot order.
    var occupied: some Sequence<(slot: UInt32, element: Element)> {
        elements.lazy.enumerated().compactMap { index, element in element.map { (UInt32(index), $0) } }
    }
}
