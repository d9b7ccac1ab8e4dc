import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilDetection

/// The detector's cold-start path: one alert per distinct high-impact call of a young principal,
/// remembered across a restart, bounded per principal.
@Suite struct ColdStartWatchTests {
    static func rulesWithPriors() throws -> RuleSet {
        var r = try shippedRules()
        r.priors = try ActionPriors.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/priors.json"))
        return r
    }

    /// A principal with no history making a call for the first time.
    func young() -> FeatureVector {
        var fv = FeatureVector()
        fv[.newAction] = 1
        fv.context.windowLength = 10 * EventTime.minute
        return fv
    }

    func coldAlerts(_ d: inout Detector, _ action: String, id: String, time: Int64 = 1_700_000_000_000) -> [Alert] {
        d.process(ruleEvent(action, time: time, id: id), features: young(), score: 0, attribution: [], windowIDs: { [] })
            .alerts.filter { $0.finding.reasons.first?.feature.hasPrefix("prior:") == true }
    }

    @Test func aRepeatAfterARestart_isNotAlertedAgain() throws {
        var d = Detector(config: DetectorConfig(), rules: try Self.rulesWithPriors())
        // (Calls no rule covers: where a rule speaks, as for SSM's SendCommand, the priors do not.)
        #expect(coldAlerts(&d, "ecs:ExecuteCommand", id: "a").count == 1)
        let data = try JSONEncoder().encode(d.snapshot())
        var restored = try Detector(config: DetectorConfig(), rules: Self.rulesWithPriors(),
                                    snapshot: JSONDecoder().decode(DetectorSnapshot.self, from: data))
        #expect(coldAlerts(&restored, "ecs:ExecuteCommand", id: "b", time: 1_700_000_060_000).isEmpty)
        #expect(restored.counters.coldStart == 1)
        // Another high-impact call is its own alert, in the same incident.
        let next = coldAlerts(&restored, "ssm:CreateAssociation", id: "c", time: 1_700_000_120_000)
        #expect(next.count == 1)
        #expect(next.first?.incident == restored.snapshot().incidents.values.first?.id)
    }

    @Test func aPrincipalGetsAtMostEightColdStartAlerts() throws {
        var d = Detector(config: DetectorConfig(), rules: try Self.rulesWithPriors())
        let calls = ["ssm:UpdateDocument", "glue:UpdateDevEndpoint", "ssm:CreateAssociation", "ecs:ExecuteCommand", "ecs:RunTask",
                     "glue:CreateDevEndpoint", "codebuild:StartBuild", "batch:SubmitJob", "cloudshell:CreateSession",
                     "sagemaker:CreatePresignedNotebookInstanceUrl"]
        var total = 0
        for (i, c) in calls.enumerated() { total += coldAlerts(&d, c, id: "e\(i)", time: 1_700_000_000_000 + Int64(i) * 1000).count }
        #expect(total == ColdStartWatch.maxPerPrincipal)
    }

    @Test func aMatureBaseline_orAFailedCall_alertsLessReadily() throws {
        var d = Detector(config: DetectorConfig(), rules: try Self.rulesWithPriors())
        var mature = young()
        mature.context.learnedEvents = 40
        let out = d.process(ruleEvent("ecs:ExecuteCommand", id: "m"), features: mature, score: 0, attribution: [], windowIDs: { [] })
        #expect(out.alerts.isEmpty)
        // A denied ExecuteCommand counts half: 0.8 × 1 × 0.5 < 0.75.
        let denied = d.process(ruleEvent("ecs:ExecuteCommand", outcome: .error, id: "x"), features: young(), score: 0, attribution: [], windowIDs: { [] })
        #expect(denied.alerts.isEmpty)
    }
}
