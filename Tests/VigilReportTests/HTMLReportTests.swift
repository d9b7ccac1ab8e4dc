import Crypto
import Foundation
import Testing
import VigilCore
@testable import VigilReport

/// The report page as an analyst reads it: one element per incident, most severe first, reasons
/// and evidence shown as text whatever the logs contain, nothing loaded from anywhere.
@Suite struct HTMLReportTests {
    /// A vigil.alert/1 line.
    static func alertLine(id: String, incident: String, time: String, principal: String = "arn:aws:iam::123456789012:user/alice",
                          severity: String = "high", title: String = "CloudTrail logging stopped", attack: [String] = ["T1562.008"],
                          reasons: [(String, String)] = [("rule:cloudtrail-logging-stopped", "alice called StopLogging")],
                          events: [String] = ["e1"]) -> String {
        func q(_ s: String) -> String { JSONText.quoted(s) }
        let rs = reasons.map { "{\"feature\":\(q($0.0)),\"value\":1,\"baseline\":0,\"text\":\(q($0.1))}" }.joined(separator: ",")
        return "{\"schema\":\"vigil.alert/1\",\"id\":\(q(id)),\"incident\":\(q(incident)),\"time\":\(q(time)),\"principal\":\(q(principal)),"
            + "\"source\":\"cloudtrail\",\"score\":0.8,\"severity\":\(q(severity)),\"kind\":\"rule\",\"attack\":[\(attack.map(q).joined(separator: ","))],"
            + "\"title\":\(q(title)),\"reasons\":[\(rs)],\"events\":[\(events.map(q).joined(separator: ","))],\"events_total\":\(events.count)}"
    }

    static func decode(_ lines: [String]) throws -> [ReportAlert] {
        try ReportAlert.decodeLines(Data(lines.joined(separator: "\n").utf8))
    }

    static func count(_ needle: String, in s: String) -> Int { s.components(separatedBy: needle).count - 1 }

    @Test func render_givesEachIncidentExactlyOneDataIncidentElement_mostSevereFirst() throws {
        let alerts = try Self.decode([
            Self.alertLine(id: "a1", incident: "i-low", time: "2026-11-02T09:00:00.000Z", severity: "low"),
            Self.alertLine(id: "a2", incident: "i-crit", time: "2026-11-02T11:00:00.000Z", severity: "critical"),
            Self.alertLine(id: "a3", incident: "i-crit", time: "2026-11-02T11:05:00.000Z", severity: "medium"),
            Self.alertLine(id: "a4", incident: "i-high", time: "2026-11-02T10:00:00.000Z", severity: "high"),
        ])
        let html = HTMLReport(alerts: alerts, collected: nil).render()
        #expect(Self.count("data-incident=", in: html) == 3)
        let order = ["i-crit", "i-high", "i-low"].map { html.range(of: "data-incident=\"\($0)\"")!.lowerBound }
        #expect(order == order.sorted())
        #expect(html.contains("<td>defense-evasion</td><td>3</td><td>4</td>"))
    }

    @Test func render_escapesEverythingTakenFromLogs() throws {
        let evil = "<script>alert(1)</script>"
        let alerts = try Self.decode([Self.alertLine(id: "x", incident: "x", time: "2026-11-02T10:00:00.000Z",
                                                     principal: "arn:aws:iam::123456789012:user/\(evil)", title: "t \(evil)",
                                                     reasons: [("new_user_agent", "first use of client \(evil)")], events: ["ev\"><img src=x>"])])
        let c = ReportCollector(alerts: alerts)
        var e = AccessEvent(time: 1_762_077_600_000, id: "ev\"><img src=x>", source: .cloudtrail, principal: "arn:aws:iam::123456789012:user/\(evil)",
                            principalType: "IAMUser", action: "s3:GetBucketAcl", outcome: .success, position: SourcePosition(input: "t", offset: 0, line: 1))
        e.resource = "<img src=x onerror=alert(2)>"
        e.userAgent = evil + " kali-linux"
        c.observe(e, usualPerHour: nil)
        let html = HTMLReport(alerts: alerts, collected: c).render()
        #expect(!html.contains("<script>") && !html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(Self.count("<svg", in: html) == 1)
    }

    @Test func policy_allowsNothingButTheStyleBlockByItsHash() {
        let digest = Data(SHA256.hash(data: Array(HTMLReport.style.utf8))).base64EncodedString()
        #expect(HTMLReport.policy.hasPrefix("default-src 'none'; style-src 'sha256-\(digest)'"))
        let html = HTMLReport(alerts: [], collected: nil).render()
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("style=\""))
        #expect(html.contains("No alerts"))
    }

    @Test func collector_keepsEvidenceAndHourlyActivity_redactingWhatComesFromLogs() throws {
        let alerts = try Self.decode([Self.alertLine(id: "a", incident: "a", time: "2026-11-02T10:30:00.000Z", principal: "P:x", events: ["e2"])])
        let c = ReportCollector(alerts: alerts, redact: { $0.replacingOccurrences(of: "198.51.100.7", with: "pii:ip") }, maxHours: 2)
        func ev(_ id: String, _ hour: Int64, _ principal: String = "P:x") -> AccessEvent {
            var e = AccessEvent(time: 1_762_077_600_000 + hour * EventTime.hour, id: id, source: .cloudtrail, principal: principal, principalType: "IAMUser",
                                action: "s3:ListBuckets", outcome: .success, position: SourcePosition(input: "t", offset: 0, line: 1))
            e.sourceIP = "198.51.100.7"
            return e
        }
        c.observe(ev("e1", 0), usualPerHour: nil)
        c.observe(ev("e2", 0), usualPerHour: 3)
        c.observe(ev("o1", 0, "other"), usualPerHour: 9)
        c.observe(ev("e3", 1), usualPerHour: 4)
        c.observe(ev("e4", 2), usualPerHour: 4)
        #expect(c.evidence.keys.sorted() == ["e2"])
        #expect(c.evidence["e2"]?.sourceIP == "pii:ip")
        #expect(c.activity["other"] == nil)
        let base = 1_762_077_600_000 / EventTime.hour
        #expect(c.activity["P:x"]?.keys.sorted() == [base + 1, base + 2])   // the oldest hour dropped at the cap
        #expect(c.hoursDropped == 1 && c.events == 5 && c.principalCount.count == 2)
    }

    @Test(arguments: [("T1562.008", ["defense-evasion"]), ("t1098", ["persistence", "privilege-escalation"]), ("T9999", [])])
    func tactics_ofTechniques(_ t: String, _ want: [String]) {
        #expect(AttackTactics.tactics(of: t) == want)
    }

    @Test func url_onlyForTechniqueIDs() {
        #expect(AttackTactics.url(of: "T1562.008") == "https://attack.mitre.org/techniques/T1562/008/")
        #expect(AttackTactics.url(of: "T1562\"><x") == nil)
        #expect(AttackTactics.url(of: "javascript:alert(1)") == nil)
    }

    @Test func decodeLines_namesTheLineThatIsNotAnAlert() throws {
        let good = Self.alertLine(id: "a", incident: "a", time: "2026-11-02T10:30:00.000Z")
        #expect(throws: ReportError.self) { try ReportAlert.decodeLines(Data((good + "\n\n{\"nope\":1}\n").utf8)) }
        do { _ = try ReportAlert.decodeLines(Data((good + "\n\n{\"nope\":1}\n").utf8)) } catch { #expect("\(error)".contains("line 3")) }
        #expect(try ReportAlert.decodeLines(Data((good + "\n\n").utf8)).count == 1)
    }
}
