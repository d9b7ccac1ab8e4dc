/// The de-duplication memory's storage: event-ID hashes with their event times in arrival order (a
/// ring), and an open-addressing index from a hash to its newest entry.
///
/// Why not `Dictionary` + `Deque`: at the default cap (1,000,000 IDs, an hour of a busy trail)
/// those took about 49 MB — the dictionary's 16-byte buckets at its load factor, SipHash per
/// lookup, and 16-byte deque entries. Here an entry is 12 bytes (hash, time as a 32-bit offset
/// from a base) and the index 4 bytes per slot at a load of at most 2/3 (slot = ring position + 1),
/// about 18 MB for the same million, with a multiply instead of SipHash.
///
/// Times that do not fit 32 bits around the base (an event dated weeks away from the rest) are kept
/// exactly in a side table; when the newest time drifts too far from the base, the live entries
/// are re-encoded around it (O(n), at most once per as many appends as there are entries, so
/// amortised O(1) even when times alternate between far-apart epochs). Same answers as the dictionary
/// it replaces, entry for entry (`DedupeRingTests` holds it to that).
///
/// - Complexity: append, lookup and removal of the oldest O(1) expected; growth O(n), doubling up to
///   the caller's cap.
struct DedupeRing {
    private var hashes: [UInt64] = []
    private var offsets: [Int32] = []
    /// Exact times of entries whose offset is ``outOfRange``, by ring position.
    private var farTimes: [Int: Int64] = [:]
    private var base: Int64 = 0
    private var head = 0
    private(set) var count = 0
    /// Appends since the last rebase: a rebase waits for as many appends as there are entries, so
    /// times alternating between two far-apart epochs cost O(1) amortised, not O(n) each.
    private var sinceRebase = 0
    /// 0: empty; else the ring position of the newest entry of a hash, plus one.
    private var slots: [UInt32] = []

    static let outOfRange = Int32.min
    /// Offsets kept within ±2^30 ms (about 12 days) of the base; beyond, the next append rebases.
    static let rebaseBeyond: Int64 = 1 << 30

    var isEmpty: Bool { count == 0 }
    private var capacity: Int { hashes.count }

    // MARK: - Entries

    /// The `i`-th oldest entry.
    func entry(_ i: Int) -> (hash: UInt64, time: Int64) {
        let p = (head + i) & (capacity - 1)
        return (hashes[p], time(at: p))
    }

    var first: (hash: UInt64, time: Int64)? { count == 0 ? nil : entry(0) }

    private func time(at p: Int) -> Int64 {
        let o = offsets[p]
        return o == Self.outOfRange ? farTimes[p]! : base + Int64(o)
    }

    /// The time of the newest entry with hash `h`, if one is held.
    func newestTime(of h: UInt64) -> Int64? {
        guard !slots.isEmpty else { return nil }
        var i = bucket(h)
        while slots[i] != 0 {
            let p = Int(slots[i] - 1)
            if hashes[p] == h { return time(at: p) }
            i = i + 1 == slots.count ? 0 : i + 1
        }
        return nil
    }

    /// Adds the newest entry; the index then names it for its hash.
    mutating func append(_ h: UInt64, _ t: Int64) {
        if count == capacity { grow() }
        sinceRebase += 1
        if count == 0 && farTimes.isEmpty {
            base = t
        } else if abs(t - base) > Self.rebaseBeyond && sinceRebase >= count {
            rebase(around: t)
        }
        let p = (head + count) & (capacity - 1)
        hashes[p] = h
        store(t, at: p)
        count += 1
        var i = bucket(h)
        while slots[i] != 0 {
            if hashes[Int(slots[i] - 1)] == h { slots[i] = UInt32(p + 1); return }
            i = i + 1 == slots.count ? 0 : i + 1
        }
        slots[i] = UInt32(p + 1)
    }

    /// Drops the oldest entry (and its index slot, when it is still its hash's newest).
    @discardableResult
    mutating func removeFirst() -> (hash: UInt64, time: Int64) {
        let p = head
        let e = (hashes[p], time(at: p))
        farTimes[p] = nil
        var i = bucket(e.0)
        while slots[i] != 0 {
            if Int(slots[i] - 1) == p { deleteSlot(i); break }
            i = i + 1 == slots.count ? 0 : i + 1
        }
        head = (head + 1) & (capacity - 1)
        count -= 1
        return e
    }

    mutating func removeFirst(_ n: Int) { for _ in 0..<n { removeFirst() } }

    mutating func removeAll() { self = DedupeRing() }

    // MARK: - Storage

    private mutating func store(_ t: Int64, at p: Int) {
        let d = t - base
        if d > Int64(Int32.min) && d <= Int64(Int32.max) {
            offsets[p] = Int32(d)
            farTimes[p] = nil
        } else {
            offsets[p] = Self.outOfRange
            farTimes[p] = t
        }
    }

    /// Re-encodes every live entry around `t`.
    private mutating func rebase(around t: Int64) {
        let times = (0..<count).map { entry($0).time }
        base = t
        sinceRebase = 0
        for (i, time) in times.enumerated() { store(time, at: (head + i) & (capacity - 1)) }
    }

    /// Doubles the ring (laid out from position 0) and rebuilds the index at its new size. Copies
    /// straight from the old storage: no list of the live entries on the side.
    private mutating func grow() {
        let newCapacity = max(16, capacity * 2)
        var h2 = [UInt64](repeating: 0, count: newCapacity)
        var o2 = [Int32](repeating: 0, count: newCapacity)
        var far: [Int: Int64] = [:]
        for i in 0..<count {
            let p = (head + i) & (capacity - 1)
            h2[i] = hashes[p]
            o2[i] = offsets[p]
            if let t = farTimes[p] { far[i] = t }
        }
        hashes = h2
        offsets = o2
        farTimes = far
        head = 0
        // Index at most 2/3 full once the ring is.
        slots = []
        slots = Array(repeating: 0, count: newCapacity + newCapacity / 2 + 1)
        for p in 0..<count {
            var i = bucket(hashes[p])
            while slots[i] != 0 {
                if hashes[Int(slots[i] - 1)] == hashes[p] { break }
                i = i + 1 == slots.count ? 0 : i + 1
            }
            slots[i] = UInt32(p + 1)   // later entries of a hash overwrite: the newest wins
        }
    }

    /// Home slot of a hash: the high word of hash × slots (the hash is FNV-1a; mixed first).
    private func bucket(_ h: UInt64) -> Int {
        var x = h ^ (h >> 31)
        x &*= 0x9E37_79B9_7F4A_7C15
        return Int(x.multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    /// Linear-probing deletion by backward shift: later members of the run move up when their home
    /// is not between the hole and them.
    private mutating func deleteSlot(_ hole: Int) {
        var i = hole
        var j = hole
        let n = slots.count
        while true {
            j = j + 1 == n ? 0 : j + 1
            if slots[j] == 0 { break }
            let k = bucket(hashes[Int(slots[j] - 1)])
            let between = i <= j ? (i < k && k <= j) : (i < k || k <= j)
            if !between {
                slots[i] = slots[j]
                i = j
            }
        }
        slots[i] = 0
    }
}
