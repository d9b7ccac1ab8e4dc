import Foundation
import Testing
import VigilCore
import VigilDetection
import VigilPipeline
import VigilTestSupport

/// Cold start: replayed alone, with no history, a technique is still found by what its calls can
/// do (`Models/priors.json`), and nothing older than a principal's first events is judged by priors.
@Suite struct ColdStartTests {
    func replay(_ lines: [String], rules: RuleSet? = nil) throws -> [Alert] {
        let dir = TestSupport.tempDir()
        let path = write(Array(lines.joined(separator: "\n").utf8) + [10], "trail.jsonl", in: dir)
        return try runEngine([.file(path)], rules: rules).alerts
    }

    /// ECS Exec as an attacker uses it: find the clusters, then open a shell in a running task. No
    /// rule in Models/rules.json covers it; its priors category does.
    static let ecsDetonation: [String] = [
        TestSupport.cloudTrail(id: "d1", time: "2026-03-02T09:00:00Z", user: "stratus", source: "ecs", name: "ListClusters"),
        TestSupport.cloudTrail(id: "d2", time: "2026-03-02T09:00:05Z", user: "stratus", source: "ecs", name: "ExecuteCommand",
                               request: "{\"cluster\":\"prod\",\"task\":\"0123456789abcdef0123456789abcdef\",\"interactive\":true,\"command\":\"/bin/sh\"}"),
        TestSupport.cloudTrail(id: "d3", time: "2026-03-02T09:00:09Z", user: "stratus", source: "ecs", name: "ExecuteCommand",
                               request: "{\"cluster\":\"prod\",\"task\":\"fedcba9876543210fedcba9876543210\",\"interactive\":true,\"command\":\"/bin/sh\"}"),
    ]

    @Test func aDetonationReplayedAlone_alertsOnItsHighImpactCall_once() throws {
        let alerts = try replay(Self.ecsDetonation)
        let cold = alerts.filter { $0.finding.reasons.first?.feature == "prior:compute-execution" }
        #expect(cold.count == 1)   // the second ExecuteCommand is the same action: no second alert
        let a = try #require(cold.first)
        #expect(a.finding.events.first == "d2")
        #expect(a.finding.attack.contains("T1651"))
        #expect(a.finding.reasons[0].text.contains("ecs:ExecuteCommand runs code or commands on compute"))
        #expect(a.finding.reasons[0].text.contains("no history yet") || a.finding.reasons[0].text.contains("of history"))
        #expect(a.finding.score >= 0.9)
    }

    /// Stratus Red Team's `aws.execution.ssm-send-command`: a rule speaks (the principal's first
    /// SendCommand), priors or not, and the cold-start path stays quiet for what the rule covers.
    @Test func ssmSendCommand_isTheRulesToRaise_withOrWithoutPriors() throws {
        let lines = [
            TestSupport.cloudTrail(id: "s1", time: "2026-03-02T09:00:00Z", user: "stratus", source: "ec2", name: "DescribeInstances"),
            TestSupport.cloudTrail(id: "s2", time: "2026-03-02T09:00:05Z", user: "stratus", source: "ssm", name: "SendCommand",
                                   request: "{\"documentName\":\"AWS-RunShellScript\",\"instanceIds\":[\"i-0a1b2c3d4e5f60718\"]}"),
        ]
        var none = try shippedRules()
        none.priors = .none
        for rules in [try shippedRules(), none] {
            let alerts = try replay(lines, rules: rules)
            #expect(alerts.map(\.finding.rule) == ["ssm-remote-command"])
            #expect(alerts.first?.finding.events.first == "s2")
        }
    }

    @Test func withoutPriors_theSameDetonationIsSilent() throws {
        var rules = try shippedRules()
        rules.priors = .none
        #expect(try replay(Self.ecsDetonation, rules: rules).isEmpty)
    }

    @Test func anEstablishedPrincipal_isNotJudgedByPriors() throws {
        // Forty routine calls over a week of mornings, then the first SendCommand.
        var lines: [String] = []
        for i in 0..<40 {
            lines.append(TestSupport.cloudTrail(id: "r\(i)", time: "2026-03-0\(2 + i / 10)T09:\(10 + i % 10):00Z", user: "ops", source: "ec2", name: "DescribeInstances"))
        }
        lines.append(TestSupport.cloudTrail(id: "x", time: "2026-03-06T09:30:00Z", user: "ops", source: "ssm", name: "SendCommand"))
        let alerts = try replay(lines)
        #expect(!alerts.contains { $0.finding.reasons.first?.feature.hasPrefix("prior:") == true })
    }

    @Test func callsAWSMakesOnThePrincipalsBehalf_areNotJudgedByPriors() throws {
        let viaCloudFormation = TestSupport.cloudTrail(id: "cf", time: "2026-03-02T09:00:00Z", user: "deployer", source: "ssm", name: "SendCommand",
                                                       ip: "cloudformation.amazonaws.com", agent: "cloudformation.amazonaws.com")
        #expect(try replay([viaCloudFormation]).isEmpty)
    }

    @Test func lowPriorCategories_neverAlertOnTheirPriorAlone() throws {
        // A developer's first day: reading a parameter and deploying a function are everyday work.
        let lines = [
            TestSupport.cloudTrail(id: "p1", time: "2026-03-02T09:00:00Z", user: "dev", source: "ssm", name: "GetParameter"),
            TestSupport.cloudTrail(id: "p2", time: "2026-03-02T09:01:00Z", user: "dev", source: "lambda", name: "UpdateFunctionCode20150331v2"),
        ]
        #expect(try replay(lines).isEmpty)
    }
}
