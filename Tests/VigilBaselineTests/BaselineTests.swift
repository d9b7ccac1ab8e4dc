import Testing
import VigilCore
@testable import VigilBaseline

/// A minimal event for baseline tests.
func ev(_ t: Int64, principal: String = "arn:aws:iam::1:user/alice", action: String = "s3:ListBuckets",
        ip: String = "198.51.100.7", ua: String = "aws-cli/2.15.30 Python/3.11", resource: String? = nil,
        bytes: Int64? = nil, outcome: Outcome = .success, id: String? = nil) -> AccessEvent {
    var e = AccessEvent(time: t, id: id ?? "e\(t)", source: .cloudtrail, principal: principal, principalType: "IAMUser",
                        action: action, outcome: outcome, position: SourcePosition(input: "t", offset: 0, line: 1))
    e.sourceIP = ip
    e.userAgent = ua
    e.resource = resource
    e.bytesOut = bytes
    e.region = "us-east-1"
    return e
}

let t0 = EventTime.parse("2026-11-02T09:00:00Z")!

/// Feeds events and learns from each (unheld); returns the last feature vector.
@discardableResult
func feed(_ b: inout Baseline, _ events: [AccessEvent], held: Bool = false) -> FeatureVector {
    var last = FeatureVector()
    for e in events {
        let (fv, lesson) = b.observe(e)
        b.commit(lesson, held: held)
        last = fv
    }
    return last
}

@Suite struct BaselineTests {
    @Test func observe_whenNetworkSeenBefore_isNotNew_whenNewSlash24_isNew() {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<20).map { ev(t0 + Int64($0) * EventTime.minute) })
        let same = b.observe(ev(t0 + 30 * EventTime.minute, ip: "198.51.100.200")).0
        #expect(same[.newNetwork] == 0)
        let other = b.observe(ev(t0 + 31 * EventTime.minute, ip: "185.220.101.4")).0
        #expect(other[.newNetwork] == 1)
        #expect(other.context.network == "185.220.101.0/24")
    }

    @Test func observe_whenBurstFarAboveUsual_raisesBurstAndDistinctFeatures() {
        var b = Baseline(config: BaselineConfig())
        // A quiet principal: one call every 20 minutes for a day.
        feed(&b, (0..<72).map { ev(t0 + Int64($0) * 20 * EventTime.minute) })
        let start = t0 + 72 * 20 * EventTime.minute
        let burst = (0..<200).map { ev(start + Int64($0) * 1000, action: "ec2:Describe\($0 % 40)", resource: "r\($0)") }
        let fv = feed(&b, burst, held: true)   // as the pipeline does for anomalous events
        #expect(fv.raw[Feature.burst.rawValue] == 200)
        #expect(fv[.burst] > 5)
        #expect(fv[.distinctActions] > 3)
        #expect(fv[.distinctResources] > 5)
        #expect(fv.context.windowEvents == 200)
    }

    @Test func observe_whenEventsLeaveWindow_forgetsThem() {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<10).map { ev(t0 + Int64($0) * 1000) })
        let later = b.observe(ev(t0 + EventTime.hour)).0
        #expect(later.context.windowEvents == 1)
    }

    @Test func observe_whenDormantForMonths_reportsDormancy() {
        var b = Baseline(config: BaselineConfig())
        feed(&b, [ev(t0)])
        let fv = b.observe(ev(t0 + 90 * EventTime.day)).0
        #expect(fv.raw[Feature.dormancy.rawValue] == 90)
        #expect(fv[.dormancy] > 6)
    }

    @Test func commit_whenHeld_doesNotLearnUntilHoldPeriodPasses() {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<5).map { ev(t0 + Int64($0) * 1000) })
        let (_, lesson) = b.observe(ev(t0 + 10_000, ip: "185.220.101.4"))
        b.commit(lesson, held: true)
        // Still new an hour later: the held lesson was not learned.
        #expect(b.observe(ev(t0 + EventTime.hour, ip: "185.220.101.9")).0[.newNetwork] == 1)
        // After the hold period with no incident it is folded in.
        let after = b.observe(ev(t0 + 25 * EventTime.hour, ip: "185.220.101.9")).0
        #expect(after[.newNetwork] == 0)
        #expect(b.counters.heldFolded == 1)
    }

    @Test func commit_whenPrincipalHadIncident_discardsHeldLesson() {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<5).map { ev(t0 + Int64($0) * 1000) })
        let (_, lesson) = b.observe(ev(t0 + 10_000, ip: "185.220.101.4"))
        b.commit(lesson, held: true)
        b.markIncident(principal: "arn:aws:iam::1:user/alice", at: t0 + 20_000)
        let after = b.observe(ev(t0 + 25 * EventTime.hour, ip: "185.220.101.9")).0
        #expect(after[.newNetwork] == 1)
        #expect(b.counters.heldRejected == 1)
    }

    @Test func slotFor_whenPrincipalCapReached_evictsLeastRecentlySeenAndCounts() {
        var cfg = BaselineConfig()
        cfg.maxPrincipals = 10            // 9 identified, 1 anonymous
        var b = Baseline(config: cfg)
        for i in 0..<9 { feed(&b, [ev(t0 + Int64(i) * 1000, principal: "arn:aws:iam::1:user/u\(i)")]) }
        // u0 comes back at the cap, so u1 and then u2 are the least recently seen.
        feed(&b, [ev(t0 + 20_000, principal: "arn:aws:iam::1:user/u0")])
        feed(&b, [ev(t0 + 21_000, principal: "arn:aws:iam::1:user/u9")])
        feed(&b, [ev(t0 + 22_000, principal: "arn:aws:iam::1:user/u10")])
        #expect(b.principalCount == 9)
        #expect(b.counters.principalsEvicted == 2)
        #expect(b.windowEventIDs("arn:aws:iam::1:user/u1").isEmpty)
        #expect(b.windowEventIDs("arn:aws:iam::1:user/u2").isEmpty)
        #expect(!b.windowEventIDs("arn:aws:iam::1:user/u0").isEmpty)
        #expect(!b.windowEventIDs("arn:aws:iam::1:user/u10").isEmpty)
    }

    @Test func anonymousFlood_neverEvictsIdentifiedPrincipals() {
        var cfg = BaselineConfig()
        cfg.maxPrincipals = 100           // 10 anonymous
        var b = Baseline(config: cfg)
        feed(&b, (0..<5).map { ev(t0 + Int64($0), principal: "arn:aws:iam::1:user/real\($0)") })
        for i in 0..<1000 {
            var e = ev(t0 + 1000 + Int64(i), principal: "anonymous:203.0.113.\(i % 250)-\(i)")
            e.principalType = "Anonymous"
            feed(&b, [e])
        }
        #expect(b.principalCount == 15)
        #expect(b.counters.anonymousEvicted == 990)
        #expect(b.counters.principalsCompacted == 0)
        for i in 0..<5 { #expect(!b.windowEventIDs("arn:aws:iam::1:user/real\(i)").isEmpty) }
    }

    @Test func evictedPrincipal_returnsFromItsCompactFormWithItsHistory() {
        var cfg = BaselineConfig()
        cfg.maxPrincipals = 10
        var b = Baseline(config: cfg)
        let alice = "arn:aws:iam::1:user/alice"
        feed(&b, (0..<40).map { ev(t0 + Int64($0) * 60_000, principal: alice, ip: "198.51.100.7") })
        // A day later nine others push alice out of the live table.
        let later = t0 + EventTime.day
        for i in 0..<9 { feed(&b, [ev(later + Int64(i), principal: "arn:aws:iam::1:user/u\(i)")]) }
        #expect(b.counters.principalsCompacted == 1)
        #expect(b.dormantCount == 1)
        let (fv, _) = b.observe(ev(later + 3600_000, principal: alice, ip: "198.51.100.9"))
        #expect(b.counters.principalsRestored == 1)
        #expect(fv[.newNetwork] == 0)      // same /24 as before eviction
        #expect(fv[.newAction] == 0)
        #expect(fv.context.priorEvents == 40)
        #expect(fv.context.firstSeen == t0)
    }

    @Test func memoryLimit_evictsByAccountedBytesTheSameWayEveryRun() {
        var cfg = BaselineConfig()
        cfg.memoryLimit = 200_000
        cfg.maxDormant = 0
        func run() -> (Int, Int, Int) {
            var b = Baseline(config: cfg)
            for i in 0..<2000 { feed(&b, [ev(t0 + Int64(i), principal: "arn:aws:iam::1:user/u\(i % 700)")]) }
            return (b.principalCount, b.counters.memoryEvictions, b.accountedBytes)
        }
        let (count, evictions, bytes) = run()
        #expect(bytes <= 200_000)
        #expect(evictions > 0)
        #expect(count < 700)
        #expect(run() == (count, evictions, bytes))
    }

    @Test func snapshot_keepsEvictionOrderAndCompactForms() throws {
        var cfg = BaselineConfig()
        cfg.maxPrincipals = 10
        var b = Baseline(config: cfg)
        for i in [3, 1, 4, 0, 5, 9, 2, 6, 8, 7] { feed(&b, [ev(t0 + Int64(i) * 1000 + 50_000 * Int64(i % 2), principal: "arn:aws:iam::1:user/u\(i)")]) }
        var restored = try Baseline(snapshot: JSONDecoder().decode(BaselineSnapshot.self, from: JSONEncoder().encode(b.snapshot())))
        #expect(restored.dormantCount == b.dormantCount)
        for k in 10..<14 {
            let e = ev(t0 + 900_000 + Int64(k), principal: "arn:aws:iam::1:user/u\(k)")
            feed(&b, [e])
            feed(&restored, [e])
        }
        for i in 0..<14 {
            let p = "arn:aws:iam::1:user/u\(i)"
            #expect(b.windowEventIDs(p) == restored.windowEventIDs(p), "\(p)")
        }
        #expect(b.snapshot().principals == restored.snapshot().principals)
    }

    @Test func window_whenCapExceeded_dropsOldestAndCounts() {
        var cfg = BaselineConfig()
        cfg.windowCap = 10
        var b = Baseline(config: cfg)
        feed(&b, (0..<25).map { ev(t0 + Int64($0)) })
        #expect(b.windowEventIDs("arn:aws:iam::1:user/alice").count == 10)
        #expect(b.counters.windowOverflow == 15)
    }

    @Test func snapshot_roundTripsThroughJSON() throws {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<50).map { ev(t0 + Int64($0) * 30_000, principal: "p\($0 % 3)", ip: "198.51.100.\($0)") })
        let data = try JSONEncoder().encode(b.snapshot())
        var restored = try Baseline(snapshot: JSONDecoder().decode(BaselineSnapshot.self, from: data))
        var original = b
        let probe = ev(t0 + 3 * EventTime.hour, principal: "p1", ip: "203.0.113.1")
        #expect(restored.observe(probe).0.values == original.observe(probe).0.values)
        #expect(restored.principalCount == 3)
    }

    @Test func config_rejectsUnknownKeys() {
        #expect(throws: ConfigError.self) {
            try JSONDecoder().decode(BaselineConfig.self, from: Data(#"{"windowLenght": 5}"#.utf8))
        }
    }
}

@Suite struct AttributeKeysTests {
    @Test(arguments: [("198.51.100.7", "198.51.100.0/24"), ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
                      ("s3.amazonaws.com", "s3.amazonaws.com"), ("", "-")])
    func network_coarsensAddresses(ip: String, expected: String) {
        #expect(AttributeKeys.network(ip) == expected)
    }

    @Test func userAgentFamily_keepsToolAndMajorVersion() {
        #expect(AttributeKeys.userAgentFamily("aws-cli/2.13.5 Python/3.11.4 Linux/6") == "aws-cli/2")
        #expect(AttributeKeys.userAgentFamily("console.amazonaws.com") == "console.amazonaws.com")
    }
}

import Foundation
