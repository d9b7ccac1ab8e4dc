import DequeModule
import VigilCore

/// Remembers event IDs for `window` ms of event time (at most `cap`), to drop redelivered events.
///
/// IDs are kept as 64-bit FNV-1a hashes (stable across runs). O(1) amortised per event.
struct Deduper {
    let window: Int64
    let cap: Int
    private var seen: [UInt64: Int64] = [:]
    private var order: Deque<(UInt64, Int64)> = []
    private(set) var evicted = 0

    init(window: Int64, cap: Int) {
        self.window = window
        self.cap = cap
    }

    /// Returns true when `id` was already seen within the window; otherwise remembers it.
    mutating func isDuplicate(_ id: String, at t: Int64) -> Bool {
        let h = StableHash.fnv1a(id)
        if let prev = seen[h], abs(t - prev) <= window { return true }
        seen[h] = t
        order.append((h, t))
        while let (oh, ot) = order.first, ot < t - window || order.count > cap {
            order.removeFirst()
            if seen[oh] == ot { seen.removeValue(forKey: oh) }
            if ot >= t - window { evicted += 1 }
        }
        return false
    }
}
