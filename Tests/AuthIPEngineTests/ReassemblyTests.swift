import AuthIPTestSupport
import AuthIPWire
import Foundation
import Testing

@testable import AuthIP

/// Reassembly of fragmented messages (MS-IKEE 3.3) under loss and duplication.
@Suite("Reassembly")
struct ReassemblyTests {
    static let key = Reassembly.Key(peer: EndpointAddress(IPAddress("2001:db8::1")!), initiatorCookie: 7, fragmentID: 1)
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func fragments(_ count: UInt8) -> [FragmentPayload] {
        (1...count).map { FragmentPayload(fragmentID: 1, number: $0, isLast: $0 == count, data: [$0, $0]) }
    }

    static func add(_ fragment: FragmentPayload, to reassembly: inout Reassembly) -> [UInt8]? {
        reassembly.add(fragment, key: key, pool: .session(1), now: now, timeout: .seconds(70)).message
    }

    @Test("Fragments of two incomplete sends of one message add up: each resend only has to bring what is missing")
    func acrossRetransmissions() {
        var reassembly = Reassembly()
        let all = Self.fragments(4)
        // The first send loses fragment 2, the resend (the whole set again) loses 1 and 3.
        for fragment in [all[0], all[2], all[3], all[3]] { #expect(Self.add(fragment, to: &reassembly) == nil) }
        #expect(Self.add(all[1], to: &reassembly) == [1, 1, 2, 2, 3, 3, 4, 4])
        #expect(reassembly.pending.isEmpty)
    }

    @Test("A duplicated last fragment is a duplicate, not a second last one")
    func duplicateLast() {
        var reassembly = Reassembly()
        let all = Self.fragments(3)
        #expect(Self.add(all[2], to: &reassembly) == nil)
        #expect(Self.add(all[2], to: &reassembly) == nil)
        #expect(Self.add(all[0], to: &reassembly) == nil)
        #expect(Self.add(all[1], to: &reassembly) == [1, 1, 2, 2, 3, 3])
    }

    @Test("Two different last fragments, or one past the last, drop the message")
    func inconsistent() {
        var reassembly = Reassembly()
        let all = Self.fragments(3)
        #expect(Self.add(all[2], to: &reassembly) == nil)
        #expect(Self.add(FragmentPayload(fragmentID: 1, number: 2, isLast: true, data: [9]), to: &reassembly) == nil)
        #expect(reassembly.pending.isEmpty)
        #expect(Self.add(all[1], to: &reassembly) == nil)
        #expect(Self.add(FragmentPayload(fragmentID: 1, number: 5, isLast: false, data: [9]), to: &reassembly) == nil)
        #expect(Self.add(all[2], to: &reassembly) == nil)
        #expect(reassembly.pending.isEmpty)
        // A number past a known last one.
        #expect(Self.add(all[2], to: &reassembly) == nil)
        #expect(Self.add(FragmentPayload(fragmentID: 1, number: 4, isLast: false, data: [9]), to: &reassembly) == nil)
        #expect(reassembly.pending.isEmpty)
    }
}
