import DequeModule
import VigilCore

/// The compact forms of evicted principals, by name, and the order they were evicted in.
///
/// Why not `[String: DormantPrincipal]` and a queue of names: in a flood of new identities every
/// event evicts one principal and looks up another, and a String-keyed dictionary hashes the
/// name with SipHash each time, resizes by copying, and the queue retains a String per entry.
/// Here the name's stable key (``StableHash``, already computed by the parser) finds the slot in a
/// ``KeyIndex``, records sit in a ``Slab``, and the queue holds (slot, generation) pairs: an entry
/// whose slot no longer holds that generation was restored or forgotten since.
struct DormantTable: Sendable {
    private var index = KeyIndex()
    private var names: [String] = []
    private var records = Slab<DormantPrincipal>()
    private var free: [Int32] = []
    private var order: Deque<Ticket> = []
    private(set) var count = 0

    private struct Ticket: Sendable {
        var slot: Int32
        var generation: UInt64
    }

    var isEmpty: Bool { count == 0 }

    private func slot(_ name: String, key: UInt64) -> Int? {
        index.find(key) { names[$0] == name }
    }

    subscript(name: String) -> DormantPrincipal? {
        slot(name, key: StableHash.fnv1a(name)).map { records[$0] }
    }

    /// Adds the compact form of `name` (whose `fnv1a` is `key`) as the most recently evicted.
    mutating func insert(_ name: String, key: UInt64, _ d: DormantPrincipal) {
        _ = remove(name, key: key)
        let s: Int
        if let f = free.popLast() {
            s = Int(f)
            names[s] = name
            records[s] = d
        } else {
            s = names.count
            names.append(name)
            records.append(d)
        }
        index.insert(key, s)
        order.append(Ticket(slot: Int32(s), generation: d.generation))
        count += 1
        if order.count > 2 * count + 1024 {
            order = Deque(order.filter(isCurrent))
        }
    }

    /// Removes and returns the compact form of `name`, if there is one.
    mutating func remove(_ name: String, key: UInt64) -> DormantPrincipal? {
        guard let s = slot(name, key: key) else { return nil }
        return vacate(s, key: key)
    }

    /// Removes the compact form evicted longest ago, with its name.
    mutating func removeOldest() -> (name: String, record: DormantPrincipal)? {
        while let t = order.popFirst() {
            guard isCurrent(t) else { continue }
            let s = Int(t.slot)
            let name = names[s]
            return (name, vacate(s, key: StableHash.fnv1a(name)))
        }
        return nil
    }

    /// Every compact form with its name, oldest eviction first.
    var inOrder: [(name: String, record: DormantPrincipal)] {
        order.filter(isCurrent).map { (names[Int($0.slot)], records[Int($0.slot)]) }
    }

    private func isCurrent(_ t: Ticket) -> Bool {
        let s = Int(t.slot)
        return !names[s].isEmpty && records[s].generation == t.generation
    }

    private mutating func vacate(_ s: Int, key: UInt64) -> DormantPrincipal {
        let d = records[s]
        index.remove(key, value: s)
        names[s] = ""
        records[s].known = []
        free.append(Int32(s))
        count -= 1
        return d
    }
}
