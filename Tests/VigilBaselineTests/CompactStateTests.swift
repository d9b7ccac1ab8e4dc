import DequeModule
import Testing
import VigilCore
@testable import VigilBaseline

/// The compact parts of a principal's record answer exactly as the plain collections they replaced
/// (a dictionary per known-set, a deque with counters for the window, 24 doubles for the hours),
/// whichever of their inline or spilled forms they are in. Each test drives both with the same
/// random operations and compares every answer.
@Suite struct CompactStateTests {
    /// A small deterministic generator, so a failure replays.
    struct Rng {
        var s: UInt64
        mutating func next(_ n: Int) -> Int {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Int((s >> 33) % UInt64(n))
        }
    }

    @Test(arguments: [1, 2, 3, 5, 512])
    func decayingSet_answersAsADictionaryWithTheSameCap(cap: Int) {
        var rng = Rng(s: UInt64(cap))
        var set = DecayingSet()
        var reference: [UInt64: Int64] = [:]
        var evicted = 0
        for step in 0..<4000 {
            let key = UInt64(rng.next(7))
            let now = Int64(step / 3)   // ties in time happen: eviction breaks them by key
            if let t = reference[key] {
                if now > t { reference[key] = now }
            } else {
                if reference.count >= cap, let oldest = reference.min(by: { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }) {
                    reference.removeValue(forKey: oldest.key)
                    evicted += 1
                }
                reference[key] = now
            }
            set.insert(key, at: now, cap: cap)
            #expect(set.count == reference.count)
            for k in 0..<8 { #expect(set.last(UInt64(k), now: now, memory: 5) == reference[UInt64(k)].flatMap { now - $0 <= 5 ? $0 : nil }) }
        }
        #expect(set.evicted == evicted)
        #expect(set.members == reference)
        var recent: [UInt64] = []
        set.appendMostRecent(3, to: &recent)
        let expected = reference.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3).map(\.key)
        #expect(recent == expected)
    }

    @Test func decayingSet_roundTripsThroughItsRecord_inlineAndSpilled() throws {
        for n in [0, 1, 2, 3, 40] {
            var s = DecayingSet()
            for k in 0..<n { s.insert(UInt64(k) &* 0x9E37_79B9, at: Int64(k * 1000), cap: 512) }
            var w = BinaryWriter()
            s.write(to: &w)
            var r = BinaryReader(w.take())
            let back = try DecayingSet(from: &r)
            #expect(back == s)
            #expect(r.isAtEnd)
        }
    }

    @Test func shortWindow_countsAsADequeWithCounters() {
        var rng = Rng(s: 7)
        var window = ShortWindow()
        var reference = Deque<WindowEntry>()
        for step in 0..<3000 {
            if rng.next(3) == 0 || reference.count > 6 {
                window.removeOldest()
                if !reference.isEmpty { reference.removeFirst() }
            } else {
                let e = WindowEntry(time: Int64(step), action: UInt64(rng.next(3)), resource: UInt64(rng.next(4)),
                                    bytes: Int64(rng.next(1000)), failed: rng.next(4) == 0)
                window.append(e)
                reference.append(e)
            }
            #expect(window.count == reference.count)
            #expect(window.entries == Array(reference))
            #expect(window.distinctActions == Set(reference.map(\.action)).count)
            #expect(window.distinctResources == Set(reference.map(\.resource)).count)
            #expect(window.bytes == reference.reduce(0) { $0 + $1.bytes })
            #expect(window.failures == reference.filter(\.failed).count)
            for a in 0..<3 { #expect(window.count(of: UInt64(a)) == reference.filter { $0.action == UInt64(a) }.count) }
            // More than fit inline are spilled; an emptied window goes back inline.
            if window.count > ShortWindow.inlineCapacity { #expect(window.isSpilled) }
            if window.count == 0 { #expect(!window.isSpilled) }
        }
    }

    @Test func shortWindow_copiesAreIndependent_evenWhenSpilled() {
        var a = ShortWindow()
        for t in 0..<5 { a.append(WindowEntry(time: Int64(t), action: 1, resource: 2, bytes: 10, failed: false)) }
        let b = a
        a.removeOldest()
        a.append(WindowEntry(time: 9, action: 3, resource: 4, bytes: 1, failed: true))
        #expect(b.count == 5 && b.bytes == 50 && b.failures == 0 && b.distinctActions == 1)
        #expect(a.count == 5 && a.bytes == 41 && a.failures == 1 && a.distinctActions == 2)
    }

    @Test func windowEntry_keepsBytesAndTheFailedFlagApart() {
        let e = WindowEntry(time: 1, action: 2, resource: 3, bytes: Int64.max, failed: true)
        #expect(e.bytes == Int64.max && e.failed)
        let f = WindowEntry(time: 1, action: 2, resource: 3, bytes: -5, failed: false)
        #expect(f.bytes == 0 && !f.failed)
    }

    @Test func hourHistogram_summarisesAsTheDense24() {
        var rng = Rng(s: 3)
        var hours = HourHistogram()
        var dense = [Double](repeating: 0, count: 24)
        for step in 0..<500 {
            if rng.next(5) == 0 {
                let f = [0.5, 0.999, 1e-300][rng.next(3)]
                hours.scale(by: f)
                for h in 0..<24 { dense[h] *= f }
            } else {
                // Few hours at first (inline), then all of them (spilled).
                let h = step < 200 ? [3, 9, 17][rng.next(3)] : rng.next(24)
                hours.add(hour: h, 1)
                dense[h] += 1
            }
            let f = 0.97
            let decayed = dense.map { $0 * f }
            let at = rng.next(24)
            let s = hours.summary(decayedBy: f, at: at)
            #expect(s.total.bitPattern == decayed.reduce(0, +).bitPattern)
            #expect(s.peak == (decayed.max() ?? 0))
            #expect(s.peakHour == (decayed.indices.max { decayed[$0] < decayed[$1] } ?? 0))
            #expect(s.value == decayed[at])
            #expect(hours.values.map(\.bitPattern) == dense.map(\.bitPattern))
        }
        #expect(hours.isSpilled)
        let empty = HourHistogram().summary(decayedBy: nil, at: 5)
        #expect(empty.total == 0 && empty.peak == 0 && empty.peakHour == 0 && empty.value == 0)
    }

    @Test func compactEventID_givesBackTheTextItWasGiven() throws {
        for id in ["3038ebd2-c98a-4c65-9b6e-e22506292313", "3038EBD2-C98A-4C65-9B6E-E22506292313",
                   "3038ebd2-C98A-4c65-9b6e-e22506292313", "3038ebd2c98a4c659b6ee22506292313", "e1", "",
                   "1234567890abcdef1234567890abcdef1234", "zz38ebd2-c98a-4c65-9b6e-e22506292313",
                   "Q0FWJ2ASZWZ0YTQW:Kb0JA8/O7pC6L8sIGmyJeCl2RU1Li7TPSaA8U3HEzCgNyg4L4jhlDJY3hAOvRPc0IqBjFLAaVlg="] {
            let c = CompactEventID(id)
            #expect(c.string == id)
            var w = BinaryWriter()
            c.write(to: &w)
            var r = BinaryReader(w.take())
            #expect(try CompactEventID(from: &r) == c)
        }
        if case .uuid = CompactEventID("3038ebd2-c98a-4c65-9b6e-e22506292313") {} else { Issue.record("a lowercase UUID is kept as 16 bytes") }
        if case .text = CompactEventID("3038ebd2-C98A-4c65-9b6e-e22506292313") {} else { Issue.record("mixed case is kept as text") }
    }

    @Test func recentEventIDs_keepTheNewestOfTheWindow() {
        var ids = RecentEventIDs()
        for i in 0..<250 { ids.append(CompactEventID("e\(i)")) }
        #expect(ids.count == RecentEventIDs.capacity)
        #expect(ids.strings.first == "e\(250 - RecentEventIDs.capacity)")
        #expect(ids.strings.last == "e249")
        ids.trim(to: 2)
        #expect(ids.strings == ["e248", "e249"])
        ids.trim(to: 0)
        #expect(ids.count == 0)
    }

    @Test func evidence_quotesTheNewestWindowEvents_andCountsTheWholeWindow() {
        var b = Baseline(config: BaselineConfig())
        var last = FeatureVector()
        for i in 0..<300 { last = feed(&b, [ev(t0 + Int64(i) * 1000, id: "id-\(i)")]) }
        let ids = b.windowEventIDs("arn:aws:iam::1:user/alice")
        #expect(ids.count == RecentEventIDs.capacity)
        #expect(ids.last == "id-299")
        #expect(last.context.windowEvents == 300)
    }

    @Test func slab_keepsRecordsInPlaceAcrossPages() {
        var s = Slab<Int>()
        let n = Slab<Int>.pageSize * 2 + 17
        for i in 0..<n { s.append(i) }
        for i in stride(from: 0, to: n, by: 3) { s[i] += 1_000_000 }
        #expect(s.count == n)
        #expect(s[n - 1] == n - 1 + (((n - 1) % 3 == 0) ? 1_000_000 : 0))
        #expect(s.all == (0..<n).map { $0 % 3 == 0 ? $0 + 1_000_000 : $0 })
    }

    @Test func dormantTable_findsByName_forgetsOldestFirst_andReusesSlots() {
        var t = DormantTable()
        var st = PrincipalState(at: t0)
        st.events = 3
        for i in 0..<10 {
            let name = "arn:aws:iam::1:user/u\(i)"
            t.insert(name, key: StableHash.fnv1a(name), DormantPrincipal(st, generation: UInt64(i + 1)))
        }
        #expect(t.count == 10)
        let u3 = "arn:aws:iam::1:user/u3"
        #expect(t.remove(u3, key: StableHash.fnv1a(u3))?.generation == 4)
        #expect(t[u3] == nil)
        #expect(t.removeOldest()?.name == "arn:aws:iam::1:user/u0")
        let again = "arn:aws:iam::1:user/back"
        t.insert(again, key: StableHash.fnv1a(again), DormantPrincipal(st, generation: 11))
        #expect(t.count == 9)
        #expect(t.inOrder.map(\.name) == (1..<10).filter { $0 != 3 }.map { "arn:aws:iam::1:user/u\($0)" } + [again])
        #expect(t[again]?.events == 3)
    }

    @Test func dormantRecord_restoresTheSinglePrecisionHistory() throws {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<30).map { ev(t0 + Int64($0) * 7 * EventTime.minute, action: ["s3:GetObject", "iam:ListUsers"][$0 % 2]) })
        let st = b.states[0]
        let d = DormantPrincipal(st, generation: 1)
        var w = BinaryWriter()
        d.write(to: &w)
        var r = BinaryReader(w.take())
        let back = try DormantPrincipal(from: &r)
        #expect(back == d)
        let restored = back.restored(knownSetCap: 512)
        #expect(restored.usualLong == Double(Float(st.usualLong)))
        #expect(restored.hours.values == st.hours.values.map { Double(Float($0)) })
        #expect(restored.actions.count == 2)
    }

    /// A record written before window entries lost their IDs (record version 1) still reads.
    @Test func principalRecordVersion1_stillReads() throws {
        var w = BinaryWriter()
        w.u8(1)
        w.zigzag(t0); w.zigzag(t0 + 2000); w.int(2); w.int(1)
        w.varint(2)
        for (i, id) in ["3038ebd2-c98a-4c65-9b6e-e22506292313", "other"].enumerated() {
            w.zigzag(i == 0 ? 0 : 2000); w.u64(11); w.u64(UInt64(20 + i)); w.zigzag(100); w.bool(i == 1); w.string(id)
        }
        w.f64(1.5); w.zigzag(t0 + 2000)
        w.varint(5); for v in [1.0, 1, 1, 100, 0] { w.f64(v) }
        w.f64(1)
        for _ in 0..<4 { w.varint(1); w.u64(11); w.zigzag(t0); w.int(0) }
        w.u8(1); w.u8(9); w.f64(1)
        w.zigzag(t0)
        w.varint(0)
        w.zigzag(Int64.min)
        var r = BinaryReader(w.take())
        let st = try PrincipalState(from: &r, owner: "arn:aws:iam::1:user/alice")
        #expect(r.isAtEnd)
        #expect(st.window.count == 2 && st.window.bytes == 200 && st.window.failures == 1 && st.window.distinctResources == 2)
        #expect(st.ids.strings == ["3038ebd2-c98a-4c65-9b6e-e22506292313", "other"])
        #expect(st.hasUsual && st.usual[3] == 100)
        #expect(st.hours[9] == 1)
        // And it is written back as version 2, which reads to the same state.
        var w2 = BinaryWriter()
        st.write(to: &w2, owner: "arn:aws:iam::1:user/alice")
        var r2 = BinaryReader(w2.take())
        #expect(try PrincipalState(from: &r2, owner: "arn:aws:iam::1:user/alice") == st)
    }
}
