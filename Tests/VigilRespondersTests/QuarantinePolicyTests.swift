import Foundation
import Testing
@testable import VigilResponders
import VigilCore
import VigilTestSupport

@Suite struct QuarantinePolicyTests {
    @Test func allowlistPatterns_matchWithStars_andNothingElse() {
        #expect(Policy.glob("arn:aws:iam::*:user/breakglass-*", "arn:aws:iam::123456789012:user/breakglass-ops"))
        #expect(!Policy.glob("arn:aws:iam::*:user/breakglass-*", "arn:aws:iam::123456789012:user/ops-breakglass-x"))
        #expect(Policy.glob("arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:role/Admin"))
        #expect(!Policy.glob("arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:role/Admin2"))
    }

    @Test func commands_getValuesAsSingleArguments_andAreKilledAtTheirTimeout() throws {
        let dir = TestSupport.tempDir()
        let out = dir + "/args.txt"
        let script = dir + "/record.sh"
        try "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > \(out)\nprintf '%s' \"$VIGIL_PRINCIPAL\" >> \(out)\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o700)
        let evil = "x; touch \(dir)/pwned $(id) `id`"
        let r = CommandRunner.run([script, "quarantine", evil], environment: ["VIGIL_PRINCIPAL": evil], timeout: 10, logPath: nil)
        #expect(r.succeeded)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "[quarantine]\n[\(evil)]\n\(evil)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/pwned"))
        let start = Date()
        let slow = CommandRunner.run(["sleep", "30"], environment: [:], timeout: 0.3, logPath: nil)
        #expect(slow.timedOut && !slow.succeeded)
        #expect(Date().timeIntervalSince(start) < 10)
    }
}

/// Quarantine decisions with a fake wall clock and a program that only succeeds.
@Suite struct QuarantineDecisionTests {
    static let policyText = """
    version: 1
    recent_minutes: 60
    max_actions_per_hour: 2
    ttl_minutes: 10
    evidence_retention_days: 1
    allow: ["arn:aws:iam::*:user/breakglass-*"]
    triggers:
      - severities: [critical]
        action: stop
    actions:
      stop:
        command: [/bin/true]
        release: [/bin/true]
    """

    func alert(_ user: String, at t: Double, severity: Severity = .critical) -> Alert {
        Alert(finding: Finding(kind: .rule, rule: "r", principal: "arn:aws:iam::1:user/\(user)", source: .cloudtrail,
                               time: Int64(t * 1000), score: 0.9, severity: severity, attack: [], title: "t", reasons: [],
                               events: ["e-\(user)"], eventsTotal: 1), incident: nil)
    }

    @Test func decisions_followThePolicy_andTTLReleases() throws {
        let dir = TestSupport.tempDir()
        let policy = try Policy.decode(Self.policyText)
        let actions = dir + "/actions.jsonl"
        var now = 1_800_000_000.0
        let old = dir + "/quarantine/stale.json"
        try FileManager.default.createDirectory(atPath: dir + "/quarantine", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: old, contents: Data("{}".utf8))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3 * 86_400)], ofItemAtPath: old)
        let w = try LineWriter(path: actions)
        let q = try Quarantine(policy: policy, enforce: true, stateDir: dir, audit: nil, actions: w, clock: { now })
        #expect(!FileManager.default.fileExists(atPath: old))          // evidence past retention removed
        // Programs run on the quarantine's worker thread; draining after each decision keeps the
        // records in a fixed order for this test.
        for (user, age, severity) in [("a", 60.0, Severity.critical),   // executed
                                      ("breakglass-1", 60, .critical),   // allowlisted
                                      ("a", 30, .critical),              // already quarantined
                                      ("b", 7200, .critical),            // too old
                                      ("c", 10, .high),                  // no trigger: no record
                                      ("d", 10, .critical),              // executed (2nd this hour)
                                      ("e", 10, .critical)] {            // hourly cap
            try q.consider(alert(user, at: now - age, severity: severity), event: nil)
            q.drain()
        }
        now += 11 * 60
        try q.releaseExpired()
        q.drain()
        try w.flush()
        let lines = try String(contentsOfFile: actions, encoding: .utf8).split(separator: "\n")
        let decisions = try lines.map { l -> String in
            let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            #expect(o["schema"] as? String == "vigil.action/1")
            return "\((o["principal"] as! String).split(separator: "/").last!):\(o["decision"]!)"
        }
        #expect(decisions == ["a:executed", "breakglass-1:skipped", "a:skipped", "b:skipped", "d:executed", "e:skipped",
                              "a:released", "d:released"])
        #expect(q.activePrincipals.isEmpty)
        #expect(FileManager.default.fileExists(atPath: dir + "/quarantine.json"))
    }
}

@Suite struct QuarantineWorkerTests {
    @Test func aSlowProgram_doesNotHoldUpTheDecision_butDrainWaitsForIt() throws {
        let dir = TestSupport.tempDir()
        let policy = try Policy.decode("""
        version: 1
        triggers:
          - severities: [critical]
            action: slow
        actions:
          slow:
            command: [/bin/sh, -c, "sleep 2"]   # the principal and alert id arrive as $0 and $1
            timeout_seconds: 20
        """)
        let now = Date().timeIntervalSince1970
        let q = try Quarantine(policy: policy, enforce: true, stateDir: dir, audit: nil, actions: nil, clock: { now })
        let start = Date()
        try q.consider(QuarantineDecisionTests().alert("slow", at: now - 5), event: nil)
        #expect(Date().timeIntervalSince(start) < 1.5)      // returned while the program still runs
        #expect(q.activePrincipals.isEmpty)
        q.drain()
        #expect(Date().timeIntervalSince(start) >= 2)
        #expect(q.activePrincipals == ["arn:aws:iam::1:user/slow"])
    }
}
