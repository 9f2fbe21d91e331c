/// A trigram index over the remote identities (first and second) of Main Mode SAs, for the
/// wildcard queries an administrator removes by (`*client1*`, `CORP\client1*`): every trigram
/// of an identity's case-folded text lists the slots whose identities hold it. A pattern with a
/// literal run of three or more ASCII characters is answered from the shortest list among the
/// run's trigrams; each candidate is then checked against the pattern.
///
/// Identities with a non-ASCII character are kept apart and are candidates for every query (a
/// non-ASCII letter may fold to an ASCII one). Removal is lazy: a list keeps the slots of
/// removed records until they are half of it, then it is compacted, so a removal costs no
/// search through long lists. A slot in a list is only ever a candidate.
struct IdentityTrigrams: Sendable {
    private var lists: [UInt32: PostingList] = [:]
    /// Entries of each list whose record left or changed its identities.
    private var stale: [UInt32: Int] = [:]
    /// The slots with a non-ASCII identity.
    private var unindexed: Set<UInt32> = []

    /// Files the identities of the record at `slot`.
    mutating func insert(_ slot: UInt32, _ record: MainModeSARecord) {
        guard let codes = Self.trigrams(of: record) else {
            unindexed.insert(slot)
            return
        }
        for code in codes { lists[code, default: PostingList()].append(slot) }
    }

    /// Unfiles the identities `record` had at `slot`, after the store changed or emptied the
    /// slot and before the record that replaces it is filed.
    mutating func remove(_ slot: UInt32, _ record: MainModeSARecord, in store: SlotStore<MainModeSARecord>) {
        guard let codes = Self.trigrams(of: record) else {
            unindexed.remove(slot)
            return
        }
        for code in codes {
            let count = stale[code, default: 0] + 1
            stale[code] = count
            if count * 2 > lists[code]?.count ?? 0 { compact(code, in: store) }
        }
    }

    /// The occupied slots that may hold an identity `pattern` matches, each once; nil when the
    /// pattern has no literal run of three ASCII characters to look up.
    func candidates(for pattern: WildcardPattern, in store: SlotStore<MainModeSARecord>) -> [UInt32]? {
        var shortest: PostingList?
        for run in pattern.asciiRuns where run.count >= 3 {
            for start in 0...(run.count - 3) {
                let list = lists[Self.code(run[start], run[start + 1], run[start + 2])] ?? PostingList()
                if list.count < shortest?.count ?? .max { shortest = list }
            }
        }
        guard let shortest else { return nil }
        var slots = unindexed
        shortest.forEach { slot in if store.isOccupied(slot) { slots.insert(slot) } }
        return Array(slots)
    }

    /// Keeps the slots of `code`'s list that hold a record, each once. A slot reused by a record
    /// without the trigram may stay: it is only ever a candidate, checked against the pattern.
    private mutating func compact(_ code: UInt32, in store: SlotStore<MainModeSARecord>) {
        stale[code] = nil
        var seen = Set<UInt32>()
        var kept = PostingList()
        lists[code]?.forEach { slot in
            if store.isOccupied(slot), seen.insert(slot).inserted {
                kept.append(slot)
            }
        }
        lists[code] = kept.count == 0 ? nil : kept
    }

    /// The distinct trigrams of a record's remote identities, sorted; nil when one is not ASCII.
    static func trigrams(of record: MainModeSARecord) -> [UInt32]? {
        var codes: [UInt32] = []
        for identity in [record.remoteIdentity, record.remoteSecondIdentity] {
            guard let identity else { continue }
            var ascii = true
            var window: UInt32 = 0
            var length = 0
            for byte in identity.utf8 {
                guard byte < 0x80 else {
                    ascii = false
                    break
                }
                window = (window << 8 | UInt32(CaseInsensitive.fold(byte))) & 0xFF_FFFF
                length += 1
                if length >= 3 { codes.append(window) }
            }
            guard ascii else { return nil }
        }
        codes.sort()
        var unique = 0
        for index in codes.indices where index == 0 || codes[index] != codes[unique - 1] {
            codes[unique] = codes[index]
            unique += 1
        }
        codes.removeLast(codes.count - unique)
        return codes
    }

    private static func code(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt32 {
        UInt32(a) << 16 | UInt32(b) << 8 | UInt32(c)
    }
}

/// The slots under one trigram, in chunks that are allocated at their final size and never
/// copied: a list of a million slots costs four bytes a slot, without the doubling array's
/// spare capacity and the freed buffers it leaves behind on the way.
struct PostingList: Sendable {
    private static let largestChunk = 4_096
    private var chunks: [[UInt32]] = []
    private(set) var count = 0

    mutating func append(_ slot: UInt32) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == chunks[chunks.count - 1].capacity {
            var chunk: [UInt32] = []
            chunk.reserveCapacity(min(Self.largestChunk, max(4, count)))
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(slot)
        count += 1
    }

    func forEach(_ body: (UInt32) -> Void) {
        for chunk in chunks { for slot in chunk { body(slot) } }
    }
}
