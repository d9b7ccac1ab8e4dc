import Foundation
import Testing
import VigilCore
@testable import VigilDetection

/// A log source that stops while the others go on is itself a finding (logging disabled in one
/// account or region, a broken delivery), in event time only.
@Suite struct SilenceWatchTests {
    static let t0: Int64 = 1_762_041_600_000   // 2025-11-02T00:00:00Z

    /// A CloudTrail event of the trail of `account` in `region` at `minute`.
    static func event(account: String, region: String = "us-east-1", minute: Int64, id: String) -> AccessEvent {
        var e = ruleEvent("s3:ListBuckets", account: account, time: t0 + minute * EventTime.minute, id: id)
        e.logAccount = account
        e.region = region
        return e
    }

    static func feed(_ d: inout Detector, _ e: AccessEvent) -> [Alert] {
        d.process(e, features: quietFeatures(), score: 0.2, attribution: [], windowIDs: { [] }).alerts
    }

    static func noRules() throws -> Detector { try detector(#"{"version": 1, "rules": []}"#) }

    @Test func process_whenOneTrailStopsAndAnotherGoesOn_raisesOneSilenceAlertAtTheLimit() throws {
        var d = try Self.noRules()
        var silences: [(minute: Int64, alert: Alert)] = []
        for m in Int64(0)..<(3 * 24 * 60) {
            for a in Self.feed(&d, Self.event(account: "111111111111", minute: m, id: "a\(m)")) { silences.append((m, a)) }
            if m < 48 * 60 { _ = Self.feed(&d, Self.event(account: "222222222222", minute: m, id: "b\(m)")) }
        }
        #expect(silences.count == 1)
        let (minute, a) = try #require(silences.first)
        #expect(a.finding.kind == .silence)
        #expect(a.finding.principal == "source:cloudtrail:222222222222:us-east-1")
        #expect(a.finding.events == ["b\(48 * 60 - 1)"])                // the source's last event
        #expect(minute == 48 * 60 - 1 + 31)                              // first event past last + 30 min
        #expect(a.finding.reasons[0].text.contains("since 2025-11-03T23:59:00.000Z"))
        #expect(a.jsonLine().contains("\"kind\":\"silence\""))
    }

    @Test func process_sourceResumesThenStopsAgain_alertsAgain() throws {
        var d = try Self.noRules()
        var count = 0
        for m in Int64(0)..<(4 * 24 * 60) {
            count += Self.feed(&d, Self.event(account: "111111111111", minute: m, id: "a\(m)")).count
            let quiet = (30 * 60..<32 * 60).contains(m) || m >= 80 * 60
            if !quiet { count += Self.feed(&d, Self.event(account: "111111111111", region: "eu-west-1", minute: m, id: "b\(m)")).count }
        }
        #expect(count == 2)
    }

    @Test func process_youngSourcesAndNightlyLulls_areNotSilences() throws {
        var d = try Self.noRules()
        var alerts: [Alert] = []
        for m in Int64(0)..<(5 * 24 * 60) {
            alerts += Self.feed(&d, Self.event(account: "111111111111", minute: m, id: "a\(m)"))
            // Busy 08:00–18:00 every day, nothing at night: its usual gap is the night.
            if (8 * 60..<18 * 60).contains(m % (24 * 60)) && m % 5 == 0 {
                alerts += Self.feed(&d, Self.event(account: "333333333333", minute: m, id: "n\(m)"))
            }
            // A source with 12 h of history that stops: too young to judge.
            if m < 12 * 60 { alerts += Self.feed(&d, Self.event(account: "444444444444", minute: m, id: "y\(m)")) }
        }
        #expect(alerts.isEmpty, "\(alerts.map(\.finding.principal))")
    }

    @Test func snapshot_keepsTheWatchedSources() throws {
        var d = try Self.noRules()
        for m in Int64(0)..<(25 * 60) {
            _ = Self.feed(&d, Self.event(account: "111111111111", minute: m, id: "a\(m)"))
            _ = Self.feed(&d, Self.event(account: "222222222222", minute: m, id: "b\(m)"))
        }
        var r = try Detector(config: d.config, rules: d.rules,
                             snapshot: JSONDecoder().decode(DetectorSnapshot.self, from: JSONEncoder().encode(d.snapshot())))
        var found = 0
        for m in Int64(25 * 60)..<(27 * 60) { found += Self.feed(&r, Self.event(account: "111111111111", minute: m, id: "a\(m)")).count }
        #expect(found == 1)
    }

    @Test(arguments: [("arn:aws:s3:::acme-logs/2026/11/02/x.gz", "acme-logs"), ("arn:aws:s3:::bucket", "bucket"), (nil, "-")] as [(String?, String)])
    func bucket(_ resource: String?, _ want: String) { #expect(SilenceWatch.bucket(resource) == want) }

    @Test func subscription_isReadFromTheResourceID() {
        #expect(SilenceWatch.subscription("/SUBSCRIPTIONS/5E1F-AB/resourceGroups/rg/providers/x") == "5e1f-ab")
        #expect(SilenceWatch.subscription("/tenants/x") == nil)
    }
}
