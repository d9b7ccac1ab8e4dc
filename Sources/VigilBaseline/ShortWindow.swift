import DequeModule
import VigilCore

/// One event in a principal's short window: 32 bytes, no references (its ID is kept apart, in
/// ``RecentEventIDs``, for the newest entries only).
struct WindowEntry: Sendable, Equatable {
    var time: Int64
    var action: UInt64
    var resource: UInt64
    /// Bytes out (never negative) in the low 63 bits, and whether the call failed in the top bit.
    private var packed: UInt64

    init(time: Int64, action: UInt64, resource: UInt64, bytes: Int64, failed: Bool) {
        self.time = time
        self.action = action
        self.resource = resource
        packed = UInt64(max(0, bytes)) & ~(1 << 63) | (failed ? 1 << 63 : 0)
    }

    var bytes: Int64 { Int64(bitPattern: packed & ~(1 << 63)) }
    var failed: Bool { packed >> 63 == 1 }
}

/// A principal's short window: its events in arrival order with the sums the features read (count,
/// distinct actions and resources, bytes, failures).
///
/// Why two representations: most principals hold one or two events in ten minutes, and for them
/// the entries are inline and the distinct counts a comparison, with no allocation. A busier
/// principal spills into a deque with per-action and per-resource counters (O(1) per event), and
/// goes back inline once its window empties. Both give the same answers, so which one a principal
/// is in never shows in a feature.
struct ShortWindow: Sendable {
    static let inlineCapacity = 2

    private var first = WindowEntry(time: 0, action: 0, resource: 0, bytes: 0, failed: false)
    private var second = WindowEntry(time: 0, action: 0, resource: 0, bytes: 0, failed: false)
    private var inlineCount: UInt8 = 0
    private var spill: Spill?

    /// The deque and the counters of a busy window, behind one reference (8 bytes in the record,
    /// where the collections inline would take 40), copied on write like the collections it holds.
    private final class Spill: @unchecked Sendable {
        var entries: Deque<WindowEntry>
        var actions: [UInt64: Int32] = [:]
        var resources: [UInt64: Int32] = [:]
        var bytes: Int64 = 0
        var failures: Int = 0

        init(_ es: [WindowEntry]) {
            entries = []
            for e in es { append(e) }
        }

        init(copying s: Spill) {
            entries = s.entries
            actions = s.actions
            resources = s.resources
            bytes = s.bytes
            failures = s.failures
        }

        func append(_ e: WindowEntry) {
            entries.append(e)
            actions[e.action, default: 0] += 1
            resources[e.resource, default: 0] += 1
            bytes += e.bytes
            if e.failed { failures += 1 }
        }

    }

    init() {}

    var count: Int { spill?.entries.count ?? Int(inlineCount) }
    var isSpilled: Bool { spill != nil }

    var oldest: WindowEntry? {
        if let s = spill { return s.entries.first }
        return inlineCount > 0 ? first : nil
    }

    /// Bytes out summed over the window.
    var bytes: Int64 {
        if let s = spill { return s.bytes }
        return (inlineCount > 0 ? first.bytes : 0) + (inlineCount > 1 ? second.bytes : 0)
    }

    /// Failed calls in the window.
    var failures: Int {
        if let s = spill { return s.failures }
        return (inlineCount > 0 && first.failed ? 1 : 0) + (inlineCount > 1 && second.failed ? 1 : 0)
    }

    var distinctActions: Int {
        if let s = spill { return s.actions.count }
        return inlineCount < 2 ? Int(inlineCount) : (first.action == second.action ? 1 : 2)
    }

    var distinctResources: Int {
        if let s = spill { return s.resources.count }
        return inlineCount < 2 ? Int(inlineCount) : (first.resource == second.resource ? 1 : 2)
    }

    /// Entries of `action` in the window.
    func count(of action: UInt64) -> Int {
        if let s = spill { return Int(s.actions[action] ?? 0) }
        var n = 0
        if inlineCount > 0 && first.action == action { n += 1 }
        if inlineCount > 1 && second.action == action { n += 1 }
        return n
    }

    /// Calls `body` with each entry, oldest first, without building an array.
    func forEach(_ body: (WindowEntry) -> Void) {
        if let s = spill {
            for e in s.entries { body(e) }
            return
        }
        if inlineCount > 0 { body(first) }
        if inlineCount > 1 { body(second) }
    }

    /// Oldest first.
    var entries: [WindowEntry] {
        if let s = spill { return Array(s.entries) }
        return Array([first, second].prefix(Int(inlineCount)))
    }

    /// The spill, copied first if another state shares it (value semantics, as with the collections).
    private mutating func uniqueSpill() -> Spill? {
        if spill != nil && !isKnownUniquelyReferenced(&spill) { spill = Spill(copying: spill!) }
        return spill
    }

    mutating func append(_ e: WindowEntry) {
        if let s = uniqueSpill() {
            s.append(e)
        } else if inlineCount == 0 {
            first = e
            inlineCount = 1
        } else if inlineCount == 1 {
            second = e
            inlineCount = 2
        } else {
            spill = Spill([first, second, e])
            inlineCount = 0
        }
    }

    mutating func removeOldest() {
        if let s = uniqueSpill() {
            let e = s.entries.removeFirst()
            Self.decrement(&s.actions, e.action)
            Self.decrement(&s.resources, e.resource)
            s.bytes -= e.bytes
            if e.failed { s.failures -= 1 }
            if s.entries.isEmpty { spill = nil }
        } else if inlineCount > 0 {
            first = second
            inlineCount -= 1
        }
    }

    /// Heap bytes accounted for a spilled window: entries and counters, at what Swift's
    /// collections take per element.
    var accountedBytes: Int {
        guard let s = spill else { return 0 }
        return 96 + s.entries.count &* 32 + (s.actions.count &+ s.resources.count) &* 24
    }

    private static func decrement(_ d: inout [UInt64: Int32], _ k: UInt64) {
        if let v = d[k] {
            if v <= 1 { d.removeValue(forKey: k) } else { d[k] = v - 1 }
        }
    }
}

extension ShortWindow: Equatable {
    /// Same entries in the same order (whichever representation holds them).
    static func == (a: ShortWindow, b: ShortWindow) -> Bool {
        a.count == b.count && a.bytes == b.bytes && a.failures == b.failures && a.entries == b.entries
    }
}
