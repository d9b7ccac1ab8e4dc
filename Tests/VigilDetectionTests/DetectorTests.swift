import Foundation
import Testing
import VigilCore
@testable import VigilDetection

func detector(_ rulesJSON: String? = nil) throws -> Detector {
    let rules = try rulesJSON.map { try RuleSet.load(json: Array($0.utf8)) } ?? shippedRules()
    return Detector(config: DetectorConfig(), rules: rules)
}

func quietFeatures() -> FeatureVector {
    var fv = FeatureVector()
    fv.context.learnedEvents = 500
    fv.context.windowLength = 10 * EventTime.minute
    return fv
}

@Suite struct DetectorTests {
    @Test func process_whenStopLogging_raisesCriticalRuleAlertWithReasons() throws {
        var d = try detector()
        let e = ruleEvent("cloudtrail:StopLogging")
        let out = d.process(e, features: quietFeatures(), score: 0.4, attribution: [], windowIDs: { [] })
        let a = try #require(out.alerts.first)
        #expect(a.finding.rule == "cloudtrail-logging-stopped")
        #expect(a.finding.severity == .critical)
        #expect(a.finding.attack == ["T1562.008"])
        #expect(a.finding.events == ["e1"])
        #expect(a.finding.reasons.first?.text.contains("StopLogging") == true)
        #expect(out.severe)
    }

    /// Attempts count: a denied StopLogging is one severity step below a successful one, and says
    /// it was attempted, naming the error code.
    @Test func process_whenStopLoggingFailed_raisesAnAttemptOneSeverityLowerNamingTheErrorCode() throws {
        var d = try detector()
        var e = ruleEvent("cloudtrail:StopLogging", outcome: .denied)
        e.errorCode = "AccessDenied"
        let out = d.process(e, features: quietFeatures(), score: 0.4, attribution: [], windowIDs: { [] })
        let a = try #require(out.alerts.first)
        #expect(a.finding.rule == "cloudtrail-logging-stopped" && a.finding.severity == .high)
        #expect(a.finding.title.hasPrefix("Attempted: "))
        #expect(a.finding.reasons[0].text.hasPrefix("attempted, and failed with AccessDenied: "))
        #expect(d.counters.attempts == 1)
        // A rule that does not count attempts stays quiet on a failure.
        var q = try detector()
        var put = ruleEvent("s3:PutBucketAcl", raw: #"{"requestParameters":{"AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"URI":"http://acs.amazonaws.com/groups/global/AllUsers"}}]}}}}"#, outcome: .denied)
        put.errorCode = "AccessDenied"
        #expect(q.process(put, features: quietFeatures(), score: 0.4, attribution: [], windowIDs: { [] }).alerts.isEmpty)
    }

    @Test func process_whenFindingsOfManyPrincipalsExceedTheCap_keepsTheNewestWithinIt() throws {
        // A flood of principals that each raise a finding (StopLogging from 2,000 identities within
        // minutes): state stays within maxTracked and the newest principals keep their incidents.
        var cfg = DetectorConfig()
        cfg.maxTracked = 100
        var d = Detector(config: cfg, rules: try shippedRules())
        for i in 0..<2000 {
            let e = ruleEvent("cloudtrail:StopLogging", principal: "arn:aws:iam::123456789012:user/u\(i)",
                              time: 1_700_000_000_000 + Int64(i) * 100, id: "s\(i)")
            _ = d.process(e, features: quietFeatures(), score: 0.3, attribution: [], windowIDs: { [] })
            #expect(d.bursts.count + d.anomalyOpen.count + d.incidents.count <= 100)
        }
        #expect(d.counters.pruned >= 1900)
        #expect(d.incidents["arn:aws:iam::123456789012:user/u1999"] != nil)
        #expect(d.incidents["arn:aws:iam::123456789012:user/u0"] == nil)
    }

    @Test func process_burstRule_firesAtThresholdOnceAndJoinsTheRest() throws {
        var d = try detector()
        var fired: [Int] = []
        for i in 0..<25 {
            let e = ruleEvent("ec2:GetPasswordData", outcome: i % 2 == 0 ? .denied : .success, time: 1_700_000_000_000 + Int64(i) * 5_000, id: "p\(i)")
            let out = d.process(e, features: quietFeatures(), score: 0.3, attribution: [], windowIDs: { [] })
            if out.alerts.contains(where: { $0.finding.rule == "ec2-password-data-burst" }) { fired.append(i) }
        }
        #expect(fired == [9])   // the 10th call in 10 minutes, then joined
        #expect(d.counters.joined >= 15)
    }

    @Test func process_burstRuleBelowThreshold_neitherCoversNorMarksTheEvent() throws {
        // A workload reading its one secret now and then must keep learning normally.
        var d = try detector()
        let out = d.process(ruleEvent("secretsmanager:GetSecretValue"), features: quietFeatures(), score: 0.3,
                            attribution: [], windowIDs: { [] })
        #expect(out.alerts.isEmpty)
        #expect(!out.ruleMatched)
        #expect(!out.severe)
    }

    @Test func process_burstRule_doesNotFireWhenCallsAreSpreadOut() throws {
        var d = try detector()
        for i in 0..<30 {
            let e = ruleEvent("ec2:GetPasswordData", time: 1_700_000_000_000 + Int64(i) * 11 * EventTime.minute, id: "p\(i)")
            #expect(d.process(e, features: quietFeatures(), score: 0.3, attribution: [], windowIDs: { [] }).alerts.isEmpty)
        }
    }

    @Test func process_findingsOfOnePrincipalCloseInTime_shareAnIncident() throws {
        var d = try detector()
        let a = d.process(ruleEvent("cloudtrail:StopLogging", id: "x1"), features: quietFeatures(), score: 0.5, attribution: [], windowIDs: { [] }).alerts
        let b = d.process(ruleEvent("ec2:DeleteFlowLogs", time: 1_700_000_000_000 + 30 * EventTime.minute, id: "x2"),
                          features: quietFeatures(), score: 0.5, attribution: [], windowIDs: { [] }).alerts
        let c = d.process(ruleEvent("ec2:DeleteFlowLogs", time: 1_700_000_000_000 + 10 * EventTime.hour, id: "x3"),
                          features: quietFeatures(), score: 0.5, attribution: [], windowIDs: { [] }).alerts
        #expect(a.count == 1 && b.count == 1 && c.count == 1)
        #expect(b[0].incident == a[0].id)
        #expect(c[0].incident == c[0].id)
        #expect(d.counters.incidents == 2)
    }

    @Test func process_anomaly_needsCorroboratingSignals() throws {
        var d = try detector()
        var one = quietFeatures()
        one[.newNetwork] = 1
        #expect(d.process(ruleEvent("s3:ListBuckets", id: "a1"), features: one, score: 0.9, attribution: [], windowIDs: { [] }).alerts.isEmpty)
        var two = one
        two[.newUserAgent] = 1
        two.context.network = "185.220.101.0/24"
        var attribution = Array(repeating: 0.0, count: Feature.count)
        attribution[Feature.newNetwork.rawValue] = 0.6
        attribution[Feature.newUserAgent.rawValue] = 0.4
        let out = d.process(ruleEvent("s3:ListBuckets", id: "a2"), features: two, score: 0.9, attribution: attribution, windowIDs: { ["w1", "a2"] })
        let a = try #require(out.alerts.first)
        #expect(a.finding.kind == .anomaly)
        #expect(a.finding.reasons.map(\.feature) == ["new_network", "new_user_agent"])
        #expect(a.finding.reasons[0].text == "first request from network 185.220.101.0/24")
        #expect(a.finding.events == ["a2", "w1"])
        #expect(out.anomalous)
    }

    @Test func process_anomalyForNewPrincipal_isDampedNotSilenced() throws {
        let cfg = DetectorConfig()
        #expect(cfg.threshold(learned: 0) > cfg.anomalyThreshold)
        #expect(cfg.threshold(learned: 0) < 1)
        #expect(cfg.threshold(learned: 10_000) == cfg.anomalyThreshold)
    }
}

@Suite struct WeightedBurstTests {
    @Test func countField_countsEveryNamedItemTowardsTheThreshold() throws {
        var d = try detector()
        let names = (0..<10).map { "\"/prod/p\($0)\"" }.joined(separator: ",")
        let raw = #"{"requestParameters":{"names":["# + names + #"],"withDecryption":true}}"#
        var fired: [Int] = []
        for i in 0..<3 {
            let e = ruleEvent("ssm:GetParameters", raw: raw, time: 1_700_000_000_000 + Int64(i) * 1000, id: "s\(i)")
            let out = d.process(e, features: quietFeatures(), score: 0.3, attribution: [], windowIDs: { [] })
            if out.alerts.contains(where: { $0.finding.rule == "ssm-parameter-mass-decrypt" }) { fired.append(i) }
        }
        #expect(fired == [1])   // 10 + 10 parameters reach the threshold of 20 on the second call
    }
}

@Suite struct DetectorSnapshotTests {
    /// A detector restored mid-burst raises the alert an uninterrupted one would, in the same incident.
    @Test func snapshot_roundTripsOpenBurstsAndIncidents() throws {
        var a = try detector()
        var events: [AccessEvent] = []
        for i in 0..<12 {
            events.append(ruleEvent("ec2:GetPasswordData", time: 1_700_000_000_000 + Int64(i) * 5_000, id: "p\(i)"))
        }
        let stop = ruleEvent("cloudtrail:StopLogging", time: 1_700_000_000_000, id: "s0")
        var reference: [String] = []
        var straight = try detector()
        for e in [stop] + events {
            reference += straight.process(e, features: quietFeatures(), score: 0.3, attribution: [], windowIDs: { [] }).alerts.map { $0.jsonLine() }
        }
        var resumed: [String] = []
        for e in [stop] + events.prefix(5) {
            resumed += a.process(e, features: quietFeatures(), score: 0.3, attribution: [], windowIDs: { [] }).alerts.map { $0.jsonLine() }
        }
        let data = try JSONEncoder().encode(a.snapshot())
        var b = try Detector(config: DetectorConfig(), rules: shippedRules(), snapshot: JSONDecoder().decode(DetectorSnapshot.self, from: data))
        for e in events.dropFirst(5) {
            resumed += b.process(e, features: quietFeatures(), score: 0.3, attribution: [], windowIDs: { [] }).alerts.map { $0.jsonLine() }
        }
        #expect(resumed == reference)
        #expect(reference.count == 2)
    }
}
