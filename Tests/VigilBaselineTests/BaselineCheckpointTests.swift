import Testing
import VigilCore
@testable import VigilBaseline

/// The baseline's checkpoint sections: a base and deltas, applied in order, give back exactly the
/// baseline that wrote them — every principal's state, each pool's recency order, the compact
/// forms and their eviction order.
@Suite struct BaselineCheckpointTests {
    /// A small cap, so principals are evicted to compact forms, come back, and are forgotten.
    static func config() -> BaselineConfig {
        var c = BaselineConfig()
        c.maxPrincipals = 40
        c.maxDormant = 25
        return c
    }

    /// Events from `n` principals (some anonymous) with failures; large rounds bring new principals
    /// too (names shift by 10 a round), small ones bring back the first few.
    static func traffic(round: Int, principals n: Int) -> [AccessEvent] {
        (0..<n).map { j in
            let i = j + (n > 20 ? round * 10 : 0)
            let p = i % 7 == 0 ? "anonymous:203.0.113.\(i)" : "arn:aws:iam::1:user/u\(i)"
            return ev(t0 + Int64(round * 1000 + i) * EventTime.second, principal: p, action: ["s3:GetObject", "iam:ListUsers", "ec2:RunInstances"][i % 3],
                      ip: "198.51.\(i % 5).7", resource: "r\(i % 11)", bytes: Int64(i * 100), outcome: i % 9 == 0 ? .denied : .success,
                      id: "id-\(round)-\(i)")
        }
    }

    static func assertSame(_ restored: BaselineSnapshot, _ live: BaselineSnapshot) {
        #expect(restored.principals == live.principals)
        #expect(restored.states == live.states)
        #expect(restored.dormant == live.dormant)
        #expect(restored.dormantStates == live.dormantStates)
        #expect(restored.counters == live.counters)
    }

    @Test func aBaseThenDeltas_restoreTheBaselineExactly() throws {
        var b = Baseline(config: Self.config())
        var records = BaselineRecords()
        var deltaRecords: [Int] = []
        for round in 0..<6 {
            for (i, e) in Self.traffic(round: round, principals: round % 2 == 0 ? 60 : 12).enumerated() {
                let (_, lesson) = b.observe(e)
                b.commit(lesson, held: i % 4 == 0)
            }
            if round == 3 { b.markIncident(principal: "arn:aws:iam::1:user/u1", at: t0) }
            let s = b.stageSections(full: round == 0)
            if round > 0 { deltaRecords.append(s.records) }
            try records.apply(live: s.live, dormant: s.dormant)
            Self.assertSame(try records.snapshot(config: b.config, counters: b.counters), b.snapshot())
        }
        #expect(b.counters.principalsRestored > 0 && b.counters.dormantForgotten > 0)   // the caps were exercised
        #expect(deltaRecords[0] < 40)     // a round of 12 principals writes about those 12, not all 40 live ones
        // And a baseline restored from them goes on exactly like the original.
        var restored = try Baseline(snapshot: try records.snapshot(config: b.config, counters: b.counters))
        for e in Self.traffic(round: 9, principals: 50) {
            let (a, la) = b.observe(e)
            let (r, lr) = restored.observe(e)
            #expect(a.values == r.values && a.raw == r.raw && a.baseline == r.baseline)
            #expect(la == lr)
            b.commit(la, held: false)
            restored.commit(lr, held: false)
        }
        Self.assertSame(restored.snapshot(), b.snapshot())
    }

    @Test func aDamagedRecord_throws_neverTraps() throws {
        var b = Baseline(config: Self.config())
        feed(&b, Self.traffic(round: 0, principals: 20))
        let s = b.stageSections(full: true)
        for n in stride(from: 0, to: s.live.count, by: 7) {
            var r = BaselineRecords()
            #expect(throws: (any Error).self) {
                try r.apply(live: Array(s.live[0..<n]), dormant: s.dormant)
                _ = try r.snapshot(config: b.config, counters: b.counters)
            }
        }
    }
}
