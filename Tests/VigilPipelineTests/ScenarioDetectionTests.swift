import Foundation
import Testing
import VigilCore
import VigilDetection
import VigilPipeline
import VigilSimulation
import VigilSources
import VigilTestSupport

/// The attack shapes of issue 29, replayed through the whole engine with the shipped rules, priors
/// and ranges: every step of each scenario is among some alert's evidence; without the attack,
/// nothing about the scenario's principals alerts. Five simulated days of an organisation of 60,
/// the scenario's principals going about their routine, the attack on the last day.
@Suite struct ScenarioDetectionTests {
    struct Run {
        var alerts: [Alert]
        /// Event IDs per scenario label (`name:step`) and whether the step is labelled an attack.
        var steps: [String: (attack: Bool, ids: Set<String>)]
        var principals: [String]
    }

    static func run(_ name: String, attacks: Bool) throws -> Run {
        var c = SimulationConfig(days: 5, principals: 60, seed: 11)
        c.extraScenarios = [name]
        c.extraAttacks = attacks
        try c.validate()
        var sim = Simulator(config: c)
        let out = sim.run()
        let dir = TestSupport.tempDir()
        let path = write(Array(out.lines.joined(separator: "\n").utf8) + [10], "cloudtrail.jsonl", in: dir)
        let alerts = try runEngine([.file(path)]).alerts
        var steps: [String: (attack: Bool, ids: Set<String>)] = [:]
        for row in out.labelsCSV.split(separator: "\n").dropFirst() {
            let f = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 3, f[2].hasPrefix(name + ":"), !f[2].hasSuffix(":routine") else { continue }
            steps[f[2], default: (f[1] == "attack", [])].ids.insert(f[0])
        }
        return Run(alerts: alerts, steps: steps, principals: sim.principals(ofScenario: name))
    }

    static let expectedSteps: [String: [String]] = [
        "shared-ci-key": ["iac-risky", "secrets-read", "stop-logging-attempt", "ssh-opened", "ssm-command", "login-profile", "lambda-code"],
        "instance-credentials-vpc-endpoint": ["outside-aws"],
        "instance-credentials-no-history": ["outside-aws"],
        "bedrock-hijack": ["invocations"],
        "ssm-command-by-user": ["send-command"],
    ]

    @Test(arguments: Simulator.extraScenarioNames)
    func scenario_everyStepIsAmongSomeAlertsEvidence(_ name: String) throws {
        let r = try Self.run(name, attacks: true)
        let evidence = Set(r.alerts.flatMap(\.finding.events))
        #expect(Set(r.steps.keys) == Set(Self.expectedSteps[name]!.map { name + ":" + $0 }))
        for (step, s) in r.steps.sorted(by: { $0.key < $1.key }) {
            #expect(!s.ids.isDisjoint(with: evidence), "\(step): none of its \(s.ids.count) events is in an alert's evidence")
        }
    }

    @Test(arguments: Simulator.extraScenarioNames)
    func scenario_withoutTheAttack_nothingAboutItsPrincipalsAlerts(_ name: String) throws {
        let r = try Self.run(name, attacks: false)
        let about = r.alerts.filter { r.principals.contains($0.finding.principal) }
        #expect(about.isEmpty, "\(name): \(about.map { $0.finding.title })")
        #expect(!r.principals.isEmpty)
    }

    /// The stolen CI key: the intruder's moves are alerts of their own (news), not folded into the
    /// findings Terraform's apply opened; the denied StopLogging is an attempt, one severity lower.
    @Test func sharedCIKey_theIntrudersMovesAreTheirOwnAlerts() throws {
        let r = try Self.run("shared-ci-key", attacks: true)
        func alerts(of step: String) -> [Alert] {
            let ids = r.steps["shared-ci-key:" + step]!.ids
            return r.alerts.filter { !ids.isDisjoint(with: $0.finding.events) }
        }
        let secrets = try #require(alerts(of: "secrets-read").first { $0.finding.rule == "secrets-mass-retrieval" })
        let iac = try #require(alerts(of: "iac-risky").first { $0.finding.rule == "secrets-mass-retrieval" })
        #expect(secrets.id != iac.id && secrets.incident == iac.incident)
        #expect(secrets.finding.reasons.contains { $0.feature == "news" && $0.text.contains("client aws-cli/2") })
        let attempt = try #require(alerts(of: "stop-logging-attempt").first { $0.finding.rule == "cloudtrail-logging-stopped" })
        #expect(attempt.finding.severity == .high && attempt.finding.reasons[0].text.contains("AccessDenied"))
        #expect(alerts(of: "ssh-opened").contains { $0.finding.rule == "network-open-to-world" })
        #expect(alerts(of: "ssm-command").contains { $0.finding.rule == "ssm-remote-command" })
    }
}
