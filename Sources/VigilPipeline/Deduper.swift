import DequeModule
import VigilCore

/// Remembers event IDs for `window` ms of event time (at most `cap`), to drop redelivered events.
///
/// IDs are kept as 64-bit FNV-1a hashes (stable across runs, so the memory survives a checkpoint).
/// O(1) amortised per event.
struct Deduper: Codable {
    let window: Int64
    let cap: Int
    private var seen: [UInt64: Int64] = [:]
    private var order: Deque<Entry> = []
    private(set) var evicted = 0

    struct Entry: Codable {
        var hash: UInt64
        var time: Int64
    }

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
        if let prev = seen[h], abs(t - prev) <= window { return true }
        seen[h] = t
        order.append(Entry(hash: h, time: t))
        while let first = order.first, first.time < t - window || order.count > cap {
            order.removeFirst()
            if seen[first.hash] == first.time { seen.removeValue(forKey: first.hash) }
            if first.time >= t - window { evicted += 1 }
        }
        return false
    }

    enum CodingKeys: String, CodingKey { case window, cap, hashes, times, evicted }

    /// Encoded as two arrays in arrival order; the lookup table is rebuilt from them (the last entry
    /// for a hash is the one the table holds).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(window, forKey: .window)
        try c.encode(cap, forKey: .cap)
        try c.encode(order.map(\.hash), forKey: .hashes)
        try c.encode(order.map(\.time), forKey: .times)
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
        for (h, t) in zip(hashes, times) {
            order.append(Entry(hash: h, time: t))
            seen[h] = t
        }
    }
}
