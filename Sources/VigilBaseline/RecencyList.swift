/// Slots ordered from least to most recently seen, as an intrusive doubly linked list over slot
/// numbers: touching, adding, removing and finding the least recent slot are all O(1).
///
/// Why a list and not a scan for the smallest `lastSeen`: at the principal cap every new principal
/// evicts one, and a scan over 100,000 principals per event turned a flood of new identities into a
/// denial of service (230 events/s). Order is stream order of observation, so it is deterministic
/// and, for input in event-time order, the same as least recently seen by event time.
struct RecencyList: Sendable {
    private(set) var head: Int32 = -1
    private(set) var tail: Int32 = -1
    private(set) var count = 0

    /// Appends `slot` as the most recent. `links` holds (previous, next) per slot.
    mutating func append(_ slot: Int, _ links: inout [Link]) {
        let s = Int32(slot)
        links[slot] = Link(previous: tail, next: -1)
        if tail >= 0 { links[Int(tail)].next = s } else { head = s }
        tail = s
        count += 1
    }

    mutating func remove(_ slot: Int, _ links: inout [Link]) {
        let l = links[slot]
        if l.previous >= 0 { links[Int(l.previous)].next = l.next } else { head = l.next }
        if l.next >= 0 { links[Int(l.next)].previous = l.previous } else { tail = l.previous }
        links[slot] = Link(previous: -1, next: -1)
        count -= 1
    }

    /// Makes `slot` the most recent.
    mutating func touch(_ slot: Int, _ links: inout [Link]) {
        guard Int32(slot) != tail else { return }
        remove(slot, &links)
        append(slot, &links)
    }

    /// Slots from least to most recent.
    func ordered(_ links: [Link]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        var s = head
        while s >= 0 {
            out.append(Int(s))
            s = links[Int(s)].next
        }
        return out
    }

    struct Link: Sendable {
        var previous: Int32
        var next: Int32
    }
}

/// The two pools principals live in, each with its own cap and its own recency order.
///
/// Why: anyone can mint an anonymous principal (one per source address scraping a public bucket),
/// so if they shared one pool a scraper could evict the baselines of every real identity. Anonymous
/// and unknown identities compete only with each other.
public enum PrincipalPool: Int, Sendable, CaseIterable {
    case identified = 0
    case anonymous = 1

    /// The pool of a canonical principal key (the parsers' `anonymous:<ip>`, `unknown:<format>`,
    /// CloudTrail's anonymous account).
    public static func of(_ principal: String) -> PrincipalPool {
        if principal.hasPrefix("anonymous:") || principal.hasPrefix("unknown:") || principal == "account:anonymous" {
            return .anonymous
        }
        return .identified
    }
}
