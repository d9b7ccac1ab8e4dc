import Foundation
import Testing
@testable import VigilPipeline

/// The de-duplication ring answers exactly as the dictionary and deque it replaced, through growth,
/// wrap-around, hashes that collide in the index, re-inserts after the window, out-of-order and
/// far-away times (weeks off, years off) and restores.
@Suite struct DedupeRingTests {
    /// The previous implementation, kept as the oracle.
    struct Oracle {
        let window: Int64, cap: Int
        var seen: [UInt64: Int64] = [:]
        var order: [(hash: UInt64, time: Int64)] = []
        var head = 0
        mutating func isDuplicate(_ h: UInt64, _ t: Int64) -> Bool {
            if let prev = seen[h], abs(t - prev) <= window { return true }
            seen[h] = t
            order.append((h, t))
            while head < order.count, order[head].time < t - window || order.count - head > cap {
                let f = order[head]
                head += 1
                if seen[f.hash] == f.time { seen.removeValue(forKey: f.hash) }
            }
            return false
        }
    }

    struct Random {
        var s: UInt64
        mutating func next() -> UInt64 { s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; return z ^ (z >> 27) }
    }

    @Test(arguments: [(1, 50, 40), (2, 5_000, 300), (3, 100, 100_000), (4, 20, 7)] as [(UInt64, Int, Int)])
    func isDuplicate_answersAsTheDictionaryDid(_ seed: UInt64, _ idPool: Int, _ cap: Int) {
        var r = Random(s: seed)
        var d = Deduper(window: 60_000, cap: cap)
        var o = Oracle(window: 60_000, cap: cap)
        var t: Int64 = 1_700_000_000_000
        for step in 0..<60_000 {
            // Mostly forward in time, sometimes back, now and then weeks or years away.
            switch r.next() % 100 {
            case 0: t += 40 * 86_400_000
            case 1: t -= 3 * 365 * 86_400_000
            case 2...9: t -= Int64(r.next() % 120_000)
            default: t += Int64(r.next() % 2_000)
            }
            // Few distinct IDs: re-deliveries; the low bits alike: index collisions.
            let h = (r.next() % UInt64(idPool)) << 40 | 0x5
            #expect(d.isDuplicate(key: h, at: t) == o.isDuplicate(h, t), "step \(step)")
            if step % 9_999 == 0 {
                // A round trip through the checkpoint's encoding changes nothing.
                d = try! JSONDecoder().decode(Deduper.self, from: JSONEncoder().encode(d))
            }
        }
    }

    /// Times alternating between two epochs six years apart: answers stay exact (the far ones go to
    /// the side table between rebases).
    @Test func isDuplicate_timesAlternatingBetweenEpochs_staysExact() {
        var d = Deduper(window: 3_600_000, cap: 1_000)
        var o = Oracle(window: 3_600_000, cap: 1_000)
        for i in 0..<20_000 {
            let t: Int64 = (i % 2 == 0 ? 1_500_000_000_000 : 1_700_000_000_000) + Int64(i) * 10
            let h = UInt64(i % 1_500) &* 0x1000_0000_01b3
            #expect(d.isDuplicate(key: h, at: t) == o.isDuplicate(h, t))
        }
    }

    @Test func ring_keepsEveryEntryInOrderThroughGrowthAndWrap() {
        var ring = DedupeRing()
        var model: [(UInt64, Int64)] = []
        for i in 0..<5_000 {
            ring.append(UInt64(i % 700), Int64(i) * 1_000 + (i % 3 == 0 ? 50 * 86_400_000 : 0))
            model.append((UInt64(i % 700), Int64(i) * 1_000 + (i % 3 == 0 ? 50 * 86_400_000 : 0)))
            if i % 5 == 4 { let a = ring.removeFirst(); let b = model.removeFirst(); #expect(a.hash == b.0 && a.time == b.1) }
        }
        #expect(ring.count == model.count)
        for (i, m) in model.enumerated() { #expect(ring.entry(i).hash == m.0 && ring.entry(i).time == m.1) }
        // The index names the newest entry of each hash.
        #expect(ring.newestTime(of: 699) == model.last { $0.0 == 699 }?.1)
        #expect(ring.newestTime(of: 123_456) == nil)
    }
}
