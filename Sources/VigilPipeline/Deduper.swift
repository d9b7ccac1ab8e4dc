import VigilCore

/// Remembers event IDs for `window` ms of event time (at most `cap`), to drop redelivered events.
///
/// IDs are kept as 64-bit FNV-1a hashes (stable across runs, so the memory survives a checkpoint),
/// in arrival order with their times (``DedupeRing``: about 18 bytes per ID). O(1) amortised per
/// event.
struct Deduper: Codable {
    let window: Int64
    let cap: Int
    private var ring = DedupeRing()
    private(set) var evicted = 0
    /// Entries ever appended and ever removed from the front: entry `i` of the ring is number
    /// `removed + i`, which lets a checkpoint write only the entries added since the last one.
    private(set) var appended: UInt64 = 0
    private(set) var removed: UInt64 = 0
    /// `appended` when the last checkpoint was staged (not encoded: a restored run stages a base first).
    private var staged: UInt64 = 0

    init(window: Int64, cap: Int) {
        self.window = window
        self.cap = cap
    }

    /// Returns true when `id` was already seen within the window; otherwise remembers it.
    mutating func isDuplicate(_ id: String, at t: Int64) -> Bool {
        isDuplicate(key: StableHash.fnv1a(id), at: t)
    }

    /// ``isDuplicate(_:at:)`` for an ID whose key (`fnv1a(id)`) the parser computed.
    mutating func isDuplicate(key h: UInt64, at t: Int64) -> Bool {
        if let prev = ring.newestTime(of: h), abs(t - prev) <= window { return true }
        ring.append(h, t)
        appended &+= 1
        while let first = ring.first, first.time < t - window || ring.count > cap {
            ring.removeFirst()
            removed &+= 1
            if first.time >= t - window { evicted += 1 }
        }
        return false
    }

    enum CodingKeys: String, CodingKey { case window, cap, hashes, times, evicted }

    static let sectionVersion: UInt8 = 1

    /// Encoded as two arrays in arrival order; the lookup table is rebuilt from them (the last entry
    /// for a hash is the one the table holds).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(window, forKey: .window)
        try c.encode(cap, forKey: .cap)
        try c.encode((0..<ring.count).map { ring.entry($0).hash }, forKey: .hashes)
        try c.encode((0..<ring.count).map { ring.entry($0).time }, forKey: .times)
        try c.encode(evicted, forKey: .evicted)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        window = try c.decode(Int64.self, forKey: .window)
        cap = try c.decode(Int.self, forKey: .cap)
        let hashes = try c.decode([UInt64].self, forKey: .hashes)
        let times = try c.decode([Int64].self, forKey: .times)
        guard hashes.count == times.count else {
            throw DecodingError.dataCorruptedError(forKey: .times, in: c, debugDescription: "hashes and times differ in length")
        }
        evicted = try c.decode(Int.self, forKey: .evicted)
        for (h, t) in zip(hashes, times) { ring.append(h, t) }
        appended = UInt64(ring.count)
    }
}

extension Deduper {
    /// The checkpoint section: settings, counters and the entries added since the last staging (all
    /// of them when `full`), oldest first. O(entries written).
    mutating func stageSection(full: Bool) -> [UInt8] {
        let first = full ? removed : max(staged, removed)
        var w = BinaryWriter(capacity: 64 + Int(appended - first) * 16)
        w.u8(Self.sectionVersion)
        w.bool(full)
        w.zigzag(window)
        w.int(cap)
        w.int(evicted)
        w.u64(removed)
        w.u64(first)
        w.varint(appended - first)
        for i in Int(first - removed)..<ring.count {
            let e = ring.entry(i)
            w.u64(e.hash)
            w.zigzag(e.time)
        }
        staged = appended
        return w.take()
    }

    /// Applies a section to the memory restored so far (nil before the base).
    static func applying(_ bytes: [UInt8], to previous: Deduper?) throws -> Deduper {
        var r = BinaryReader(bytes)
        guard try r.u8() == sectionVersion else { throw BinaryError.invalid("dedupe section of another version", at: 0) }
        let full = try r.bool()
        var d = Deduper(window: try r.zigzag(), cap: try r.int())
        if !full, let p = previous {
            d.ring = p.ring
            d.removed = p.removed
            d.appended = p.appended
        } else if !full {
            throw BinaryError.invalid("dedupe delta without a base", at: 0)
        }
        d.evicted = try r.int()
        let removed = try r.u64()
        let first = try r.u64()
        let n = try r.count(minBytes: 9)
        if first > d.appended || full {
            d.ring.removeAll()
            d.removed = first
        } else if first < d.appended {
            throw BinaryError.invalid("dedupe delta overlaps what is restored", at: r.offset)
        }
        for _ in 0..<n { d.ring.append(try r.u64(), try r.zigzag()) }
        d.appended = first + UInt64(n)
        guard removed >= d.removed, removed <= d.appended else { throw BinaryError.invalid("dedupe counters disagree", at: r.offset) }
        d.ring.removeFirst(Int(removed - d.removed))
        d.removed = removed
        guard r.isAtEnd else { throw BinaryError.invalid("bytes after the dedupe entries", at: r.offset) }
        return d
    }

    /// Once every section is applied: what is restored counts as staged (the ring's index is kept
    /// as entries arrive, the last entry for a hash winning).
    mutating func reindex() {
        staged = appended
    }
}
