import VigilCore

/// A bounded set of hashed keys that forgets members unused for `memory` ms of event time.
///
/// Why: "first time this principal used X" must stay meaningful for months without growing without
/// bound. `contains` is O(1); inserting into a full set evicts the least recently used member in
/// O(cap) (rare: caps are small and principals rarely touch that many distinct values).
///
/// Why two members inline: most principals use one or two networks, clients and regions, so a
/// hash table each (about a hundred bytes and an allocation) is spent on nearly every principal.
/// The third member moves them all into a dictionary. Which form holds the members never changes
/// an answer.
public struct DecayingSet: Sendable {
    private var key0: UInt64 = 0, time0: Int64 = 0
    private var key1: UInt64 = 0, time1: Int64 = 0
    private var inlineCount: UInt8 = 0
    private var evictions: UInt32 = 0
    private var spill: [UInt64: Int64]?

    /// Members forgotten to stay within the cap (saturating: it only reports).
    public var evicted: Int { Int(evictions) }

    public init() {}

    public var count: Int { spill?.count ?? Int(inlineCount) }

    /// When `key` was last seen, if it is remembered at all.
    @inline(__always) func time(of key: UInt64) -> Int64? {
        if let s = spill { return s[key] }
        if inlineCount > 0 && key0 == key { return time0 }
        if inlineCount > 1 && key1 == key { return time1 }
        return nil
    }

    /// When `key` was last seen, if it is still remembered at `now`.
    public func last(_ key: UInt64, now: Int64, memory: Int64) -> Int64? {
        guard let t = time(of: key), now - t <= memory else { return nil }
        return t
    }

    public mutating func insert(_ key: UInt64, at now: Int64, cap: Int) {
        if spill != nil {
            if let t = spill![key] {
                if now > t { spill![key] = now }
                return
            }
        } else if inlineCount > 0 && key0 == key {
            if now > time0 { time0 = now }
            return
        } else if inlineCount > 1 && key1 == key {
            if now > time1 { time1 = now }
            return
        }
        if count >= cap, let oldest = leastRecent() {
            remove(oldest)
            if evictions < .max { evictions += 1 }
        }
        add(key, now)
    }

    /// The member used longest ago (ties: the smaller key).
    private func leastRecent() -> UInt64? {
        var best: (key: UInt64, time: Int64)?
        forEach { k, t in
            if let b = best, b.time < t || (b.time == t && b.key < k) { return }
            best = (k, t)
        }
        return best?.key
    }

    private mutating func remove(_ key: UInt64) {
        if spill != nil {
            spill!.removeValue(forKey: key)
        } else if inlineCount > 0 && key0 == key {
            (key0, time0) = (key1, time1)
            inlineCount -= 1
        } else if inlineCount > 1 && key1 == key {
            inlineCount -= 1
        }
    }

    private mutating func add(_ key: UInt64, _ t: Int64) {
        if spill != nil {
            spill![key] = t
        } else if inlineCount == 0 {
            (key0, time0, inlineCount) = (key, t, 1)
        } else if inlineCount == 1 {
            (key1, time1, inlineCount) = (key, t, 2)
        } else {
            spill = [key0: time0, key1: time1, key: t]
            inlineCount = 0
        }
    }

    /// Every member with when it was last seen (in no particular order).
    func forEach(_ body: (UInt64, Int64) -> Void) {
        if let s = spill {
            for (k, t) in s { body(k, t) }
            return
        }
        if inlineCount > 0 { body(key0, time0) }
        if inlineCount > 1 { body(key1, time1) }
    }

    /// Appends up to `n` members by recency, most recent first (ties: the smaller key first).
    /// Inline members are ordered without allocating (a compaction per eviction in a flood).
    func appendMostRecent(_ n: Int, to out: inout [UInt64]) {
        guard n > 0 else { return }
        if spill == nil {
            switch inlineCount {
            case 0: return
            case 1: out.append(key0)
            default:
                let firstIs0 = time0 != time1 ? time0 > time1 : key0 < key1
                out.append(firstIs0 ? key0 : key1)
                if n > 1 { out.append(firstIs0 ? key1 : key0) }
            }
            return
        }
        var all: [(UInt64, Int64)] = []
        all.reserveCapacity(count)
        forEach { all.append(($0, $1)) }
        all.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        for (k, _) in all.prefix(n) { out.append(k) }
    }

    /// Heap bytes accounted for a spilled set, per member at what a dictionary entry takes.
    var accountedBytes: Int { spill.map { 64 + $0.count &* 24 } ?? 0 }

    /// Writes the members and the eviction count (a checkpoint record; order does not matter:
    /// eviction picks by time, then key).
    /// Times are written relative to `base` (the principal's first sighting: short varints).
    func write(to w: inout BinaryWriter, relativeTo base: Int64 = 0) {
        w.varint(UInt64(count))
        forEach { k, t in
            w.u64(k)
            w.zigzag(t &- base)
        }
        w.int(evicted)
    }

    init(from r: inout BinaryReader, relativeTo base: Int64 = 0) throws {
        let n = try r.count(minBytes: 9)
        if n > 2 { spill = Dictionary(minimumCapacity: n) }
        for _ in 0..<n {
            let at = r.offset
            let k = try r.u64()
            let t = base &+ (try r.zigzag())
            guard time(of: k) == nil else { throw BinaryError.invalid("a known-set member twice", at: at) }
            add(k, t)
        }
        evictions = UInt32(clamping: try r.int())
    }

    /// The members of `lastSeen` (a snapshot of an earlier version), with its eviction count.
    init(members lastSeen: [UInt64: Int64], evicted: Int) {
        if lastSeen.count > 2 { spill = lastSeen } else { for (k, t) in lastSeen { add(k, t) } }
        evictions = UInt32(clamping: evicted)
    }

    /// The members as a dictionary (snapshots in JSON).
    var members: [UInt64: Int64] {
        var d: [UInt64: Int64] = [:]
        forEach { d[$0] = $1 }
        return d
    }
}

extension DecayingSet: Equatable {
    /// Same members, times and eviction count, whichever form holds them.
    public static func == (a: DecayingSet, b: DecayingSet) -> Bool {
        a.evicted == b.evicted && a.count == b.count && a.members == b.members
    }
}
