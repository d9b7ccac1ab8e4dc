/// An open-addressing table from a 64-bit stable key (``StableHash``) to a small non-negative
/// integer, typically a slot in arrays the owner keeps.
///
/// Why not `Dictionary<String, Int>`: a String key is hashed with SipHash on every lookup, and the
/// hot path looks principals, actions and agents up several times per event. The key here is
/// computed once per event, by the parser, and a lookup is one multiply and a probe or two.
///
/// Why the caller verifies: 64-bit FNV-1a is not collision-resistant, and some keyed values (a
/// principal's name, a user agent) come from whoever writes the log. Entries with the same key are
/// all kept (linear probing), and ``find(_:where:)`` asks the caller whether a candidate slot holds
/// the value it looks for (comparing its stored String, which costs a `memcmp`, never a hash). A
/// crafted collision costs a probe, never a wrong answer.
public struct KeyIndex: Sendable {
    private var keys: [UInt64]
    /// The value of each bucket, or −1 when the bucket is empty.
    private var values: [Int32]
    private var shift: UInt64
    public private(set) var count = 0

    public init(capacity: Int = 16) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        keys = Array(repeating: 0, count: n)
        values = Array(repeating: -1, count: n)
        shift = UInt64(64 - n.trailingZeroBitCount)
    }

    /// Fibonacci hashing: the top bits of key × 2⁶⁴/φ spread FNV's output over the buckets.
    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The value stored under `key` for which `matches` returns true, or nil.
    @inline(__always)
    public func find(_ key: UInt64, where matches: (Int) -> Bool) -> Int? {
        let mask = keys.count - 1
        var b = home(key)
        while true {
            let v = values[b]
            if v < 0 { return nil }
            if keys[b] == key && matches(Int(v)) { return Int(v) }
            b = (b + 1) & mask
        }
    }

    /// Adds `value` under `key` (the caller has checked it is not there yet). O(1) amortised.
    public mutating func insert(_ key: UInt64, _ value: Int) {
        precondition(value >= 0 && value <= Int(Int32.max), "KeyIndex values are slots")
        if (count + 1) * 2 > keys.count { grow() }
        place(key, Int32(value))
        count += 1
    }

    /// Removes the entry `key` → `value`, if present. Later entries of the probe run move back into
    /// the gap (backward-shift deletion), so no tombstones build up under churn.
    public mutating func remove(_ key: UInt64, value: Int) {
        let mask = keys.count - 1
        var b = home(key)
        while true {
            let v = values[b]
            if v < 0 { return }
            if keys[b] == key && Int(v) == value { break }
            b = (b + 1) & mask
        }
        var hole = b
        var next = (hole + 1) & mask
        while values[next] >= 0 {
            let h = home(keys[next])
            // The entry at `next` may fill the hole if its home is not within (hole, next].
            let distanceToHole = (next - h) & mask
            let distanceToNext = (next - hole) & mask
            if distanceToHole >= distanceToNext {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        values[hole] = -1
        count -= 1
    }

    public mutating func removeAll() {
        self = KeyIndex()
    }

    private mutating func place(_ key: UInt64, _ value: Int32) {
        let mask = keys.count - 1
        var b = home(key)
        while values[b] >= 0 { b = (b + 1) & mask }
        keys[b] = key
        values[b] = value
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let n = keys.count * 2
        keys = Array(repeating: 0, count: n)
        values = Array(repeating: -1, count: n)
        shift = UInt64(64 - n.trailingZeroBitCount)
        for i in 0..<oldKeys.count where oldValues[i] >= 0 { place(oldKeys[i], oldValues[i]) }
    }
}

/// One bit per bucket of 64-bit keys: "certainly not there" without a dictionary lookup.
///
/// Why: some per-principal tables (open anomaly findings) hold few principals while every event
/// asks about its own. A clear bit answers most asks; a set bit sends the caller to the table
/// itself, so answers stay exact. Keys are only added; the owner rebuilds the filter when it
/// removes entries (on its prune). 64 Ki bits, 8 KiB.
public struct KeyFilter: Sendable {
    private var words = [UInt64](repeating: 0, count: 1024)

    public init() {}

    @inline(__always) private static func bit(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 48) }

    @inline(__always) public mutating func insert(_ key: UInt64) {
        let b = Self.bit(key)
        words[b >> 6] |= 1 << UInt64(b & 63)
    }

    @inline(__always) public func mayContain(_ key: UInt64) -> Bool {
        let b = Self.bit(key)
        return words[b >> 6] & (1 << UInt64(b & 63)) != 0
    }

    public mutating func removeAll() {
        for i in words.indices { words[i] = 0 }
    }
}
