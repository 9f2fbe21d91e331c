import AuthIPWire
import Foundation
import Testing

@testable import AuthIP

/// How `Channel` tells responses, duplicates and replays apart whatever the peer's seqNUMs.
@Suite("Channel")
struct ChannelTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func request(_ purpose: RequestPurpose) -> OutstandingRequest {
        OutstandingRequest(
            datagrams: [[1]], purpose: purpose, maximumRetransmissions: 4, interval: .seconds(2), nextAttempt: now)
    }

    @Test("A response with another seqNUM matches the only request of its exchange and message ID, never one of two")
    func looseMatching() {
        var channel = Channel()
        let mine = ExchangeKey(exchange: .quickMode, messageID: 7, sequence: 3)
        channel.track(mine, Self.request(.quickMode(7)))
        let answer = ExchangeKey(exchange: .quickMode, messageID: 7, sequence: 9)
        #expect(channel.complete(answer)?.key == mine)
        // Two requests of that exchange and message ID: a stray seqNUM answers neither.
        channel.track(mine, Self.request(.quickMode(7)))
        channel.track(ExchangeKey(exchange: .quickMode, messageID: 7, sequence: 4), Self.request(.quickMode(7)))
        #expect(channel.complete(answer) == nil)
        #expect(channel.outstanding.count == 2)
        // Another message ID matches nothing.
        #expect(channel.complete(ExchangeKey(exchange: .quickMode, messageID: 8, sequence: 3)) == nil)
    }

    @Test("A NOTIFY_ACK is matched by the seqNUM its data names, not by its own header")
    func acknowledgementByData() {
        var channel = Channel()
        channel.track(ExchangeKey(exchange: .notify, messageID: 0x55, sequence: 2), Self.request(.notify))
        #expect(channel.completeNotify(acknowledging: 3) == nil)
        #expect(channel.completeNotify(acknowledging: 2) != nil)
        #expect(!channel.hasOutstandingNotify)
    }

    @Test("The same datagram twice is a duplicate; the same seqNUM with other bytes is new; old bytes are a replay")
    func duplicatesByDigest() {
        var channel = Channel()
        let key = ExchangeKey(exchange: .mainMode, messageID: 0, sequence: 0)
        let first = DatagramDigest([1, 2, 3]), second = DatagramDigest([1, 2, 4])
        #expect(channel.classify(key, digest: first, now: Self.now) == .new)
        channel.accept(key, digest: first)
        #expect(channel.classify(key, digest: first, now: Self.now) == .inProgress)
        channel.remember(response: [[9]], for: key, now: Self.now)
        #expect(channel.classify(key, digest: first, now: Self.now) == .duplicate([[9]]))
        #expect(channel.classify(key, digest: second, now: Self.now) == .new)
        let later = Self.now.addingTimeInterval(Channel.responseLifetime + 1)
        #expect(channel.classify(key, digest: first, now: later) == .replay)
        // A seqNUM more than 64 below the highest is a replay whatever its bytes.
        channel.accept(ExchangeKey(exchange: .mainMode, messageID: 0, sequence: 100), digest: second)
        #expect(channel.classify(key, digest: DatagramDigest([7]), now: Self.now) == .replay)
    }

    @Test("A response's bytes go once the peer's next request shows it arrived, the rest at the end of their time")
    func responsesAreDropped() {
        var channel = Channel()
        let first = ExchangeKey(exchange: .mainMode, messageID: 0, sequence: 0)
        let second = ExchangeKey(exchange: .mainMode, messageID: 0, sequence: 1)
        let quick = ExchangeKey(exchange: .quickMode, messageID: 7, sequence: 0)
        let (one, two, three) = (DatagramDigest([1]), DatagramDigest([2]), DatagramDigest([3]))
        channel.accept(first, digest: one)
        channel.remember(response: [[9]], for: first, now: Self.now)
        channel.accept(quick, digest: three)
        channel.remember(response: [[8]], for: quick, now: Self.now)
        #expect(channel.classify(first, digest: one, now: Self.now) == .duplicate([[9]]))
        // The peer's next Main Mode request: it had the first response.
        channel.accept(second, digest: two)
        channel.remember(response: [[10]], for: second, now: Self.now)
        #expect(channel.classify(first, digest: one, now: Self.now) == .duplicate([]))
        #expect(channel.classify(second, digest: two, now: Self.now) == .duplicate([[10]]))
        // Another exchange's response stays until its time is up; the timer is set for it.
        #expect(channel.classify(quick, digest: three, now: Self.now) == .duplicate([[8]]))
        let expiry = Self.now.addingTimeInterval(Channel.responseLifetime)
        #expect(channel.responsesExpire == expiry)
        channel.dropExpiredResponses(at: expiry)
        #expect(channel.responsesExpire == nil)
        #expect(channel.classify(quick, digest: three, now: Self.now) == .duplicate([]))
    }
}
