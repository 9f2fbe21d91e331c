import AuthIPCrypto
import AuthIPTestSupport
import Foundation
import Testing

@testable import AuthIP

/// What keeps a sharded driver's endpoints apart: cookies, SPIs and SA IDs of each shard's own
/// class, and the limits split between them.
@Suite("EndpointShard")
struct EndpointShardTests {
    @Test("Each shard draws initiator cookies that hash to it, SPIs and SA IDs that no other shard draws")
    func classes() {
        let key: UInt64 = 0x0123_4567_89AB_CDEF
        var seen: [Set<UInt32>] = []
        var ids: [Set<UInt64>] = []
        for index in 0..<3 {
            let shard = EndpointShard(index: index, count: 3, key: key)
            var context = EndpointContext(
                configuration: EndpointConfiguration(computerName: "DASERVER", principalName: "DASERVER$", rules: []),
                random: EngineRandom(base: SeededRandomSource(seed: UInt64(index))), now: Date(), shard: shard)
            for _ in 0..<200 {
                let cookie = context.randomCookie(initiator: true)
                #expect(EndpointShard.index(ofInitiatorCookie: cookie, count: 3, key: key) == index)
            }
            seen.append(Set((0..<200).map { _ in context.allocateSPI() }))
            ids.append(Set((0..<200).map { _ in context.takeSAID() }))
        }
        #expect(
            seen[0].isDisjoint(with: seen[1]) && seen[1].isDisjoint(with: seen[2]) && seen[0].isDisjoint(with: seen[2]))
        #expect(ids[0].isDisjoint(with: ids[1]) && ids[1].isDisjoint(with: ids[2]) && ids[0].isDisjoint(with: ids[2]))
        #expect(ids.allSatisfy { $0.count == 200 })
    }

    @Test("Cookies spread evenly over the shards, differently under another key; one shard takes all")
    func spread() {
        var random = SeededRandomSource(seed: 9)
        let cookies = (0..<30_000).map { _ in random.next() }
        let counts = (0..<3).map { shard in
            cookies.filter { EndpointShard.index(ofInitiatorCookie: $0, count: 3, key: 42) == shard }.count
        }
        #expect(counts.allSatisfy { (9_500...10_500).contains($0) }, "\(counts)")
        let moved = cookies.prefix(1_000).filter {
            EndpointShard.index(ofInitiatorCookie: $0, count: 3, key: 42)
                != EndpointShard.index(ofInitiatorCookie: $0, count: 3, key: 43)
        }
        #expect(moved.count > 500, "the key changes the mapping")
        #expect(cookies.allSatisfy { EndpointShard.index(ofInitiatorCookie: $0, count: 1, key: 42) == 0 })
    }

    @Test("A shard's share of a limit: the shares add up to at least the limit, never 0")
    func shares() {
        #expect(EndpointShard(index: 0, count: 2, key: 0).share(of: 500) == 250)
        #expect(EndpointShard(index: 1, count: 3, key: 0).share(of: 35) == 12)
        #expect(EndpointShard(index: 3, count: 4, key: 0).share(of: 1) == 1)
        #expect(EndpointShard.whole.share(of: 20) == 20)
    }
}
