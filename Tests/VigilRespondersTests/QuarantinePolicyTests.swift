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
        try q.consider(alert("a", at: now - 60), event: nil)             // executed
        try q.consider(alert("breakglass-1", at: now - 60), event: nil)  // allowlisted
        try q.consider(alert("a", at: now - 30), event: nil)             // already quarantined
        try q.consider(alert("b", at: now - 7200), event: nil)           // too old
        try q.consider(alert("c", at: now - 10, severity: .high), event: nil)   // no trigger: no record
        try q.consider(alert("d", at: now - 10), event: nil)             // executed (2nd this hour)
        try q.consider(alert("e", at: now - 10), event: nil)             // hourly cap
        now += 11 * 60
        try q.releaseExpired()
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
