import AuthIPWire
import Foundation

/// Records in a dense array, each at a slot that stays fixed until the record is removed; the
/// slots of removed records are reused. The indexes name records by slot: four bytes, and no
/// hashing on the way from an index to its record.
///
/// A free slot holds `Element.vacant` rather than an optional: reads then borrow the record
/// in place, where unwrapping an optional would copy all of it.
struct SlotStore<Element: SlotStorable>: Sendable {
    private var elements: [Element] = []
    private var isOccupied: [Bool] = []
    private var freeSlots: [UInt32] = []

    var count: Int { elements.count - freeSlots.count }

    mutating func reserveCapacity(_ capacity: Int) {
        elements.reserveCapacity(capacity)
        isOccupied.reserveCapacity(capacity)
    }

    mutating func insert(_ element: Element) -> UInt32 {
        if let slot = freeSlots.popLast() {
            elements[Int(slot)] = element
            isOccupied[Int(slot)] = true
            return slot
        }
        elements.append(element)
        isOccupied.append(true)
        return UInt32(elements.count - 1)
    }

    /// Empties an occupied slot.
    mutating func remove(_ slot: UInt32) {
        precondition(isOccupied[Int(slot)], "slot \(slot) is empty")
        elements[Int(slot)] = Element.vacant
        isOccupied[Int(slot)] = false
        freeSlots.append(slot)
    }

    /// Whether `slot` holds a record.
    func isOccupied(_ slot: UInt32) -> Bool { Int(slot) < isOccupied.count && isOccupied[Int(slot)] }

    /// The record at an occupied slot.
    subscript(slot: UInt32) -> Element {
        _read {
            precondition(isOccupied[Int(slot)], "slot \(slot) is empty")
            yield elements[Int(slot)]
        }
        _modify {
            precondition(isOccupied[Int(slot)], "slot \(slot) is empty")
            yield &elements[Int(slot)]
        }
    }

    /// The occupied slots whose records satisfy `predicate`, in slot order.
    func slots(where predicate: (Element) -> Bool) -> [UInt32] {
        var result: [UInt32] = []
        for index in elements.indices where isOccupied[index] && predicate(elements[index]) {
            result.append(UInt32(index))
        }
        return result
    }
}

/// A record type a `SlotStore` can hold: it names the value that fills free slots.
protocol SlotStorable: Sendable {
    static var vacant: Self { get }
}

extension MainModeSARecord: SlotStorable {
    static let vacant = MainModeSARecord(
        id: 0, cookies: CookiePair(initiator: 0, responder: 0), role: .initiator,
        local: EndpointAddress(.v4(IPv4Address(0))), remote: EndpointAddress(.v4(IPv4Address(0))),
        localIdentity: nil, remoteIdentity: nil, authenticationMethod: .anonymous, cipher: .aes128, hash: .sha1,
        diffieHellmanGroup: nil, natDetected: false, quickModeLimit: 0, created: .distantPast, expires: .distantPast,
        ruleName: "")
}

extension QuickModeSARecord: SlotStorable {
    static let vacant = QuickModeSARecord(
        id: 0, mainModeID: 0, role: .initiator, inboundSPI: 0, outboundSPI: 0,
        localSelector: TrafficSelector(AddressRange(.v4(IPv4Address(0)))),
        remoteSelector: TrafficSelector(AddressRange(.v4(IPv4Address(0)))), encapsulation: .transport,
        udpEncapsulated: false, cipher: .none, integrity: .none, pfsGroup: nil, lifetimeSeconds: 0,
        lifetimeKilobytes: 0,
        created: .distantPast, expires: .distantPast)
}
