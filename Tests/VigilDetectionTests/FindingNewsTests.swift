import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilDetection

/// Findings never go quiet: inside an open finding, a match that shows a new client, network,
/// actor, target or outcome is an alert of the same incident; a burst of such matches is a burst of
/// its own; same-shape repeats fold into at most one update alert per incident per 15 minutes of
/// event time; a suspect principal's first high-impact call alerts. The shape of stolen CI keys: an
/// automation (Terraform) and an intruder on one key and one network, with different clients.
@Suite struct FindingNewsTests {
    static let t0: Int64 = 1_700_000_000_000
    static let terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0"
    static let intruder = "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22"

    static func call(_ d: inout Detector, _ action: String, second: Int64, id: String, agent: String = terraform,
                     ip: String = "203.0.113.10", resource: String? = nil, raw: String? = nil, outcome: Outcome = .success,
                     fv: FeatureVector = quietFeatures()) -> Detection {
        var e = ruleEvent(action, raw: raw, outcome: outcome, principal: "arn:aws:iam::123456789012:user/ci-terraform",
                          time: t0 + second * EventTime.second, id: id)
        e.userAgent = agent
        e.sourceIP = ip
        e.resource = resource
        if outcome != .success { e.errorCode = "AccessDenied" }
        var f = fv
        f.context.actionLastSeen = t0 - EventTime.day
        return d.process(e, features: f, score: 0.3, attribution: [], windowIDs: { [] })
    }

    @Test func process_sameRuleWithAnotherClient_isNewsOfTheSameIncident_sameShapeFolds() throws {
        var d = try detector()
        let first = try #require(Self.call(&d, "cloudtrail:DeleteTrail", second: 0, id: "tf1", resource: "trail-a").alerts.first)
        #expect(Self.call(&d, "cloudtrail:DeleteTrail", second: 30, id: "tf2", resource: "trail-a").alerts.isEmpty)   // same shape
        let news = try #require(Self.call(&d, "cloudtrail:DeleteTrail", second: 300, id: "x1", agent: Self.intruder, resource: "trail-a").alerts.first)
        #expect(news.finding.rule == "cloudtrail-logging-stopped")
        #expect(news.incident == first.id && news.id != first.id)
        #expect(news.finding.events.first == "x1")
        let why = try #require(news.finding.reasons.first { $0.feature == "news" })
        #expect(why.text.contains("client aws-cli/2") && !why.text.contains("network"))
        // Another trail, and a failure after the successes, are news too.
        #expect(Self.call(&d, "cloudtrail:DeleteTrail", second: 320, id: "x2", agent: Self.intruder, resource: "trail-b").alerts.count == 1)
        let failed = try #require(Self.call(&d, "cloudtrail:StopLogging", second: 340, id: "x3", agent: Self.intruder, resource: "trail-b",
                                            outcome: .denied).alerts.first)
        #expect(failed.finding.severity == .high && failed.finding.title.hasPrefix("Attempted: "))
        #expect(d.counters.news == 3)
    }

    @Test func process_burstRule_matchesShowingANewClientFormABurstOfTheirOwn() throws {
        var d = try detector()
        var alerts: [Alert] = []
        for i in 0..<12 { alerts += Self.call(&d, "secretsmanager:GetSecretValue", second: Int64(i), id: "tf\(i)", resource: "db/\(i)").alerts }
        #expect(alerts.count == 1)
        // Twenty reads with another client minutes later, inside the finding's quiet period.
        var theirs: [Alert] = []
        for i in 0..<20 {
            theirs += Self.call(&d, "secretsmanager:GetSecretValue", second: 240 + Int64(i), id: "x\(i)", agent: Self.intruder, resource: "db/\(i)").alerts
        }
        let news = try #require(theirs.first { $0.finding.rule == "secrets-mass-retrieval" })
        #expect(theirs.filter { $0.finding.rule == "secrets-mass-retrieval" }.count == 1)
        #expect(news.incident == alerts[0].id)
        #expect(Set(news.finding.events).isSuperset(of: (0..<10).map { "x\($0)" }))
        #expect(!news.finding.events.contains { $0.hasPrefix("tf") })
    }

    @Test func process_networkRuleWithAnotherPort_isNews() throws {
        var d = try detector()
        func ingress(_ port: Int) -> String {
            #"{"requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[{"fromPort":\#(port),"toPort":\#(port),"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}}"#
        }
        #expect(Self.call(&d, "ec2:AuthorizeSecurityGroupIngress", second: 0, id: "p443", resource: "sg-1", raw: ingress(443)).alerts.count == 1)
        #expect(Self.call(&d, "ec2:AuthorizeSecurityGroupIngress", second: 10, id: "p443b", resource: "sg-1", raw: ingress(443)).alerts.isEmpty)
        let ssh = Self.call(&d, "ec2:AuthorizeSecurityGroupIngress", second: 20, id: "p22", resource: "sg-1", raw: ingress(22)).alerts
        #expect(ssh.count == 1 && ssh[0].finding.reasons.contains { $0.feature == "news" && $0.text.contains("target 22") })
    }

    @Test func process_foldedRepeats_comeOutAsOneUpdateAlertPer15Minutes() throws {
        var d = try detector()
        let first = try #require(Self.call(&d, "cloudtrail:DeleteTrail", second: 0, id: "a0", resource: "trail-a").alerts.first)
        var updates: [Alert] = []
        for i in 1...5 { updates += Self.call(&d, "cloudtrail:DeleteTrail", second: Int64(i) * 60, id: "a\(i)", resource: "trail-a").updates }
        #expect(updates.isEmpty)   // not 15 minutes yet
        // Another principal's event moves event time on: the update comes due.
        var other = ruleEvent("s3:ListBuckets", principal: "arn:aws:iam::123456789012:user/bob", time: Self.t0 + 16 * EventTime.minute, id: "b")
        other.userAgent = "aws-cli/2"
        let due = d.process(other, features: quietFeatures(), score: 0.1, attribution: [], windowIDs: { [] }).updates
        let u = try #require(due.first)
        #expect(due.count == 1)
        #expect(u.finding.update && u.jsonLine().contains(#""kind":"rule","update":true,"rule":"cloudtrail-logging-stopped""#))
        #expect(u.incident == first.id && u.id != first.id)
        #expect(u.finding.events == ["a5", "a4", "a3", "a2", "a1"] && u.finding.eventsTotal == 5)
        #expect(u.finding.reasons[0].text.hasPrefix("5 events folded into this incident"))
        #expect(u.finding.time == Self.t0 + 5 * EventTime.minute)   // the newest folded event's time
        // The next folds wait 15 minutes from that update (its time, minute 5).
        #expect(Self.call(&d, "cloudtrail:DeleteTrail", second: 17 * 60, id: "a6", resource: "trail-a").updates.isEmpty)
        #expect(Self.call(&d, "cloudtrail:DeleteTrail", second: 19 * 60, id: "a7", resource: "trail-a").updates.isEmpty)
        let later = Self.call(&d, "cloudtrail:DeleteTrail", second: 21 * 60, id: "a8", resource: "trail-a").updates
        #expect(later.count == 1 && later[0].finding.events == ["a8", "a7", "a6"])
        #expect(Self.call(&d, "cloudtrail:DeleteTrail", second: 22 * 60, id: "a9", resource: "trail-a").updates.isEmpty)
        #expect(d.counters.updates == 2)
    }

    @Test func pendingUpdates_surviveASnapshot() throws {
        var d = try detector()
        _ = Self.call(&d, "cloudtrail:DeleteTrail", second: 0, id: "a0", resource: "trail-a")
        _ = Self.call(&d, "cloudtrail:DeleteTrail", second: 60, id: "a1", resource: "trail-a")
        let data = try JSONEncoder().encode(d.snapshot())
        var r = try Detector(config: d.config, rules: d.rules, snapshot: JSONDecoder().decode(DetectorSnapshot.self, from: data))
        let u = Self.call(&r, "cloudtrail:DeleteTrail", second: 20 * 60, id: "a2", resource: "trail-a").updates
        #expect(u.count == 1 && u[0].finding.events == ["a2", "a1"])
    }

    @Test func process_suspectPrincipalsFirstHighImpactCall_alertsInsteadOfWaiting() throws {
        var rules = try shippedRules()
        rules.priors = try ActionPriors.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/priors.json"))
        var d = Detector(config: DetectorConfig(), rules: rules)
        var odd = quietFeatures()   // a mature principal (500 learned events)
        odd[.newNetwork] = 1
        odd[.newUserAgent] = 1
        var e = ruleEvent("s3:ListBuckets", time: Self.t0, id: "odd")
        e.userAgent = Self.intruder
        let opened = d.process(e, features: odd, score: 0.95, attribution: Array(repeating: 0.1, count: Feature.count), windowIDs: { [] })
        #expect(opened.alerts.count == 1 && opened.alerts[0].finding.kind == .anomaly)
        // Minutes later an ordinary-looking but high-impact call, the principal's first of it.
        var fv = quietFeatures()
        fv.context.actionLastSeen = nil
        var call = ruleEvent("ecs:ExecuteCommand", time: Self.t0 + 5 * EventTime.minute, id: "exec")
        call.userAgent = Self.intruder
        let out = d.process(call, features: fv, score: 0.3, attribution: [], windowIDs: { [] })
        let a = try #require(out.alerts.first)
        #expect(out.suspect && a.incident == opened.alerts[0].id && a.finding.events.first == "exec")
        #expect(a.finding.reasons[0].feature == "prior:compute-execution")
        // Once per call per open finding.
        var again = call
        again.id = "exec2"
        again.time += EventTime.minute
        #expect(d.process(again, features: fv, score: 0.3, attribution: [], windowIDs: { [] }).alerts.isEmpty)
    }
}
