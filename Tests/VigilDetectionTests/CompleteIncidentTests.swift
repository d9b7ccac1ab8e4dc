import Foundation
import Testing
import VigilCore
@testable import VigilDetection

/// Complete incidents: what else the actor did inside an open finding stays in view. Each new
/// (rule, action) is an alert of its own with the same incident; a repeat of an alerted
/// (rule, action) joins; burst rules count bursts; a rule about the caller (no action list) alerts
/// again only for sensitive actions, so a tool walking through read-only APIs stays one alert.
@Suite struct CompleteIncidentTests {
    static let rules = """
    {"version": 1, "rules": [
      {"id": "persistence", "title": "Credentials created for an IAM user", "severity": "high", "attack": ["T1098.001"],
       "actions": ["iam:CreateAccessKey", "iam:CreateLoginProfile"], "dedupe": "60m", "text": "{actor} called {operation}"},
      {"id": "tool", "title": "Hacking tool", "severity": "medium", "attack": ["T1078.004"],
       "where": {"field": "$userAgent", "containsAny": ["kali-"]}, "dedupe": "60m", "text": "{actor} called {operation} with a hacking tool"}
    ]}
    """

    static func run(_ d: inout Detector, _ action: String, minute: Int64, id: String, agent: String = "aws-cli/2",
                    sensitivity: Double = 0) -> [Alert] {
        var e = ruleEvent(action, time: 1_700_000_000_000 + minute * EventTime.minute, id: id)
        e.userAgent = agent
        var fv = quietFeatures()
        fv[.sensitivity] = sensitivity
        fv.context.actionLastSeen = nil
        return d.process(e, features: fv, score: 0.4, attribution: [], windowIDs: { [] }).alerts
    }

    @Test func process_newActionInsideAnOpenFinding_isAnAlertOfTheSameIncident_repeatsJoin() throws {
        var d = try detector(Self.rules)
        let first = Self.run(&d, "iam:CreateAccessKey", minute: 0, id: "k1")
        let repeatKey = Self.run(&d, "iam:CreateAccessKey", minute: 5, id: "k2")
        let profile = Self.run(&d, "iam:CreateLoginProfile", minute: 10, id: "p1")
        let repeatProfile = Self.run(&d, "iam:CreateLoginProfile", minute: 12, id: "p2")
        #expect(first.count == 1 && repeatKey.isEmpty && repeatProfile.isEmpty)
        let a = try #require(profile.first)
        #expect(a.finding.rule == "persistence")
        #expect(a.incident == first[0].id)
        #expect(a.id != first[0].id)
        #expect(a.finding.events.first == "p1")
        #expect(a.finding.reasons.contains { $0.text == "first CreateLoginProfile by this principal" })
        #expect(d.counters.joined == 2)
    }

    @Test func process_afterTheQuietPeriod_theSameActionFiresAgain() throws {
        var d = try detector(Self.rules)
        #expect(Self.run(&d, "iam:CreateAccessKey", minute: 0, id: "k1").count == 1)
        #expect(Self.run(&d, "iam:CreateAccessKey", minute: 61, id: "k2").count == 1)
    }

    @Test func process_wideRule_alertsAgainOnlyForSensitiveActions() throws {
        var d = try detector(Self.rules)
        let tool = "aws-cli/2 Linux/6.1-kali-amd64"
        #expect(Self.run(&d, "sts:GetCallerIdentity", minute: 0, id: "t0", agent: tool).count == 1)
        for (i, api) in ["s3:ListBuckets", "ec2:DescribeInstances", "iam:ListUsers"].enumerated() {
            #expect(Self.run(&d, api, minute: Int64(i + 1), id: "r\(i)", agent: tool).isEmpty)
        }
        let secret = Self.run(&d, "secretsmanager:GetSecretValue", minute: 5, id: "s1", agent: tool, sensitivity: 0.9)
        #expect(secret.count == 1 && secret.first?.finding.rule == "tool")
        #expect(Self.run(&d, "secretsmanager:GetSecretValue", minute: 6, id: "s2", agent: tool, sensitivity: 0.9).isEmpty)
    }

    @Test func process_distinctActionsPerQuietPeriod_areCapped() throws {
        var d = try detector(Self.rules)
        let tool = "aws-cli/2 Linux/6.1-kali-amd64"
        var alerts = 0
        for i in 0..<(BurstState.alertedCap + 10) {
            alerts += Self.run(&d, "svc:Action\(i)", minute: 0, id: "c\(i)", agent: tool, sensitivity: 0.9).count
        }
        #expect(alerts == BurstState.alertedCap)
    }
}
