import VigilCore

/// The one rule both merges follow to pick the next head (the Contract's "Order and time"), so
/// replay's `InputMerger` and tail's `LiveMerge` cannot drift apart.
///
/// An item without a time (a dead letter, an input's end) has nothing to wait for and goes first,
/// the lowest rank first; otherwise the earliest (event time, event ID) among the eligible events,
/// ties to the lowest rank. O(heads).
enum MergeOrder {
    /// The pick: its position in the sequence, and its event time (nil for an untimed item).
    struct Choice {
        var index: Int
        var time: Int64?
    }

    /// Heads `0..<count`: `rank(i)` and `head(i)` (nil when that input has nothing now), read in
    /// place (no array of heads is built per item: events are large values).
    /// `eligible`: whether an event of that time may go now (tail: at or before the watermark).
    @inline(__always)
    static func pick(count: Int, rank: (Int) -> Int, head: (Int) throws -> ReadItem?,
                     eligible: (Int64) -> Bool = { _ in true }) rethrows -> Choice? {
        var untimed = -1
        var best = -1
        var bestTime = Int64.max
        var bestID = ""
        for i in 0..<count {
            guard let item = try head(i) else { continue }
            guard case .event(let e) = item else {
                if untimed < 0 || rank(i) < rank(untimed) { untimed = i }
                continue
            }
            guard eligible(e.time) else { continue }
            if best >= 0 && (bestTime, bestID, rank(best)) <= (e.time, e.id, rank(i)) { continue }
            best = i
            bestTime = e.time
            bestID = e.id
        }
        if untimed >= 0 { return Choice(index: untimed, time: nil) }
        return best >= 0 ? Choice(index: best, time: bestTime) : nil
    }
}
