/// A table from a String (an access key ID, an actor's ARN) to a value, found through the
/// String's stable hash (``StableHash``) in a ``KeyIndex`` instead of SipHash in a `Dictionary`.
///
/// Why: the stitcher and the credential binding look an access key up on every event that has one.
/// A `Dictionary<String, …>` hashes the whole key with SipHash each time and, when it grows,
/// rehashes every key; here a lookup is an FNV-1a of the key, a probe or two, and one `memcmp`
/// to confirm (so a crafted hash collision costs a probe, never a wrong answer). Values and keys sit
/// in arrays by slot; removed slots are reused.
///
/// Codable as the `[String: Value]` dictionary it replaces, so checkpoints of either read as the
/// other. Iteration order is slot order, which depends on the history of inserts and removals but
/// never on the process (no random seed): nothing that reads it depends on order anyway.
public struct KeyedTable<Value> {
    @usableFromInline var index = KeyIndex()
    @usableFromInline var names: [String] = []
    @usableFromInline var slots: [Value?] = []
    @usableFromInline var free: [Int] = []
    @usableFromInline var population = 0

    public var count: Int { population }

    public init() {}

    public var isEmpty: Bool { count == 0 }

    @inlinable @inline(__always) func slot(_ key: String, hash: UInt64) -> Int? {
        index.find(hash) { names[$0] == key }
    }

    /// The value under `key`; `hash` is `StableHash.fnv1a(key)` when the caller has it.
    @inlinable @inline(__always)
    public func value(forKey key: String, hash: UInt64) -> Value? {
        slot(key, hash: hash).flatMap { slots[$0] }
    }

    @inlinable public subscript(key: String) -> Value? {
        get { value(forKey: key, hash: StableHash.fnv1a(key)) }
        set { set(newValue, forKey: key, hash: StableHash.fnv1a(key)) }
    }

    /// Sets (or, with nil, removes) the value under `key`.
    @inlinable public mutating func set(_ value: Value?, forKey key: String, hash: UInt64) {
        if let s = slot(key, hash: hash) {
            if let value {
                slots[s] = value
            } else {
                index.remove(hash, value: s)
                names[s] = ""
                slots[s] = nil
                free.append(s)
                population -= 1
            }
            return
        }
        guard let value else { return }
        let s: Int
        if let f = free.popLast() {
            s = f
            names[s] = key
            slots[s] = value
        } else {
            s = names.count
            names.append(key)
            slots.append(value)
        }
        index.insert(hash, s)
        population += 1
    }

    /// Every entry, in slot order.
    public func forEach(_ body: (String, Value) -> Void) {
        for (s, v) in slots.enumerated() { if let v { body(names[s], v) } }
    }

    public var values: [Value] { slots.compactMap { $0 } }

    /// The entries `isIncluded` keeps, in a table rebuilt to their size (pruning frees memory).
    public func filter(_ isIncluded: (String, Value) -> Bool) -> KeyedTable {
        var out = KeyedTable()
        forEach { k, v in if isIncluded(k, v) { out[k] = v } }
        return out
    }
}

extension KeyedTable: Sendable where Value: Sendable {}

extension KeyedTable: Codable where Value: Codable {
    public init(from decoder: Decoder) throws {
        self.init()
        for (k, v) in try [String: Value](from: decoder) { self[k] = v }
    }

    public func encode(to encoder: Encoder) throws {
        var d: [String: Value] = [:]
        d.reserveCapacity(count)
        forEach { d[$0] = $1 }
        try d.encode(to: encoder)
    }
}
