import VigilCore

/// A bounded set of hashed keys that forgets members unused for `memory` ms of event time.
///
/// Why: "first time this principal used X" must stay meaningful for months without growing without
/// bound. `contains` is O(1); inserting into a full set evicts the least recently used member in
/// O(cap) (rare: caps are small and principals rarely touch that many distinct values).
public struct DecayingSet: Codable, Sendable, Equatable {
    public private(set) var lastSeen: [UInt64: Int64] = [:]
    public private(set) var evicted = 0

    public init() {}

    /// When `key` was last seen, if it is still remembered at `now`.
    public func last(_ key: UInt64, now: Int64, memory: Int64) -> Int64? {
        guard let t = lastSeen[key], now - t <= memory else { return nil }
        return t
    }

    public mutating func insert(_ key: UInt64, at now: Int64, cap: Int) {
        if let t = lastSeen[key] {
            if now > t { lastSeen[key] = now }
            return
        }
        if lastSeen.count >= cap, let oldest = lastSeen.min(by: { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }) {
            lastSeen.removeValue(forKey: oldest.key)
            evicted += 1
        }
        lastSeen[key] = now
    }

    public var count: Int { lastSeen.count }

    /// Writes the members and the eviction count (a checkpoint record; order does not matter:
    /// eviction picks by time, then key).
    func write(to w: inout BinaryWriter) {
        w.varint(UInt64(lastSeen.count))
        for (k, t) in lastSeen {
            w.u64(k)
            w.zigzag(t)
        }
        w.int(evicted)
    }

    init(from r: inout BinaryReader) throws {
        let n = try r.count(minBytes: 9)
        lastSeen.reserveCapacity(n)
        for _ in 0..<n {
            let k = try r.u64()
            lastSeen[k] = try r.zigzag()
        }
        evicted = try r.int()
    }
}
