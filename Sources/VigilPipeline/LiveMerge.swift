import DequeModule
import VigilCore
import VigilSources

/// `tail`'s merge of several live inputs by event time, behind a watermark (the Contract's "Order
/// and time").
///
/// Each followed file is a lane holding the records that have arrived but not yet gone on. The
/// watermark is the smallest newest-event-time among the active lanes: no active lane that keeps its
/// own order can still deliver a record before it, so every held record at or before the watermark
/// can go, earliest (event time, event ID, lane) first — the order `replay` takes over the finished
/// files. A lane is active until it ends or has delivered no event for `idleTimeout` wall-clock
/// seconds (an I/O timeout): then it stops holding the others back. That timeout is the one place
/// where the wall clock can change the alert stream, and it bounds the latency several inputs add;
/// a single input adds none (its own newest event is always at or after what it holds).
///
/// A record behind the watermark (an input out of its own order, or one back from idling) goes on
/// at once and the engine counts it `late`: never dropped. Items without a time (dead letters, the
/// end of an input) go as soon as they reach the head of their lane.
final class LiveMerge {
    private final class Lane {
        let file: FollowedFile
        var items = Deque<ReadItem>()
        /// Newest event time delivered (Int64.min: none yet).
        var newest: Int64
        /// Wall-clock second of the last event delivered (or of the opening).
        var lastDelivery: Double
        /// No more items will come (the file was closed for good).
        var ended = false

        init(file: FollowedFile, newest: Int64, now: Double) {
            self.file = file
            self.newest = newest
            lastDelivery = now
        }
    }

    private var lanes: [Int: Lane] = [:]
    /// Newest event time per followed path, kept after its lanes are done (for the next file).
    private var pathNewest: [String: Int64] = [:]
    /// Lane ids in merge rank (path, then id): the last tie-break.
    private var ranked: [Int] = []
    let idleTimeout: Double

    init(idleTimeout: Double) { self.idleTimeout = idleTimeout }

    /// Records waiting for the watermark.
    var held: Int { lanes.values.reduce(0) { $0 + $1.items.count } }

    /// A file begins. A file taking over a path (rotation, re-creation) goes on from its
    /// predecessor's newest time: it is the same input, later.
    func open(_ file: FollowedFile, now: Double) {
        lanes[file.id] = Lane(file: file, newest: pathNewest[file.path] ?? Int64.min, now: now)
        ranked.append(file.id)
        ranked.sort { a, b in
            let x = lanes[a]!.file, y = lanes[b]!.file
            return x.path != y.path ? x.path < y.path : x.id < y.id
        }
    }

    /// An item of `file` arrived.
    func add(_ item: ReadItem, from file: FollowedFile, now: Double) {
        guard let lane = lanes[file.id] else { return }
        if case .event(let e) = item {
            lane.newest = max(lane.newest, e.time)
            lane.lastDelivery = now
            if !file.whole { pathNewest[file.path] = lane.newest }   // (named files: a bounded set)
        }
        lane.items.append(item)
    }

    /// `file` will deliver nothing more.
    func end(_ file: FollowedFile) { lanes[file.id]?.ended = true }

    /// The watermark now: +∞ when no lane is active.
    func watermark(now: Double) -> Int64 {
        var w = Int64.max
        for lane in lanes.values where !lane.ended && now - lane.lastDelivery < idleTimeout { w = min(w, lane.newest) }
        return w
    }

    /// Hands on, in merged order, every held item the watermark lets go (`all`: every held item,
    /// at the end of a run).
    func release(now: Double, all: Bool = false, _ body: (ReadItem, FollowedFile) throws -> Void) throws {
        let mark = all ? Int64.max : watermark(now: now)
        while true {
            let order = ranked.compactMap { lanes[$0] }
            guard let c = MergeOrder.pick(count: order.count, rank: { $0 }, head: { order[$0].items.first }, eligible: { $0 <= mark })
            else { break }
            let lane = order[c.index]
            try body(lane.items.removeFirst(), lane.file)
        }
        // Lanes that ended and hold nothing are done.
        for (id, lane) in lanes where lane.ended && lane.items.isEmpty {
            lanes[id] = nil
            ranked.removeAll { $0 == id }
        }
    }

    /// Hands on what `file`'s lane still holds, in its order, whatever the watermark.
    func drain(_ file: FollowedFile, _ body: (ReadItem, FollowedFile) throws -> Void) throws {
        guard let lane = lanes[file.id] else { return }
        while let item = lane.items.popFirst() { try body(item, file) }
    }

    /// Seconds until an idle timeout would let a held record go (nil: nothing waits on one).
    func nextTimeout(now: Double) -> Double? {
        guard held > 0 else { return nil }
        var soonest: Double?
        for lane in lanes.values where !lane.ended && now - lane.lastDelivery < idleTimeout {
            let t = lane.lastDelivery + idleTimeout - now
            soonest = min(soonest ?? t, t)
        }
        return soonest
    }
}
