import Crypto
import Foundation
import Testing
@testable import VigilResponders
import VigilCore

@Suite struct WebhookPayloadTests {
    func alert(principal: String = "arn:aws:iam::123456789012:user/alice") -> Alert {
        let f = Finding(kind: .rule, rule: "cloudtrail-logging-stopped", principal: principal, source: .cloudtrail,
                        time: 1_780_000_000_000, score: 0.91, severity: .critical, attack: ["T1562.008"],
                        title: "CloudTrail logging stopped or trail deleted",
                        reasons: [Reason(feature: "rule:cloudtrail-logging-stopped", value: 1, baseline: 0, text: "\(principal) called StopLogging")],
                        events: ["e1", "e2"], eventsTotal: 2)
        return Alert(finding: f, incident: nil)
    }

    @Test func ocsf_isADetectionFindingWithTheAttackTechniques() throws {
        let a = alert()
        let o = try JSONSerialization.jsonObject(with: Data(WebhookPayload.render(a, as: .ocsf).utf8)) as! [String: Any]
        #expect(o["class_uid"] as? Int == 2004)
        #expect(o["category_uid"] as? Int == 2)
        #expect(o["type_uid"] as? Int == 200401)
        #expect(o["severity_id"] as? Int == 5)
        let info = o["finding_info"] as! [String: Any]
        #expect(info["uid"] as? String == a.id)
        let attacks = info["attacks"] as! [[String: Any]]
        #expect((attacks.first?["technique"] as? [String: Any])?["uid"] as? String == "T1562.008")
        #expect((info["related_events"] as! [[String: Any]]).count == 2)
    }

    @Test func slack_escapesMentionsAndLinksFromLogFields() throws {
        let a = alert(principal: "arn:aws:iam::1:user/<!channel>&<https://x|y>")
        let body = WebhookPayload.render(a, as: .slack)
        let o = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        let text = "\(o)"
        #expect(!text.contains("<!channel>") && !text.contains("<https://x"))
        #expect(text.contains("&lt;!channel&gt;&amp;&lt;https://x|y&gt;"))
    }

    func stitched() -> Alert {
        var a = alert(principal: "arn:aws:sts::123456789012:assumed-role/admin/botocore-session-1")
        a.finding.actor = ActorChain(arn: "arn:aws:iam::123456789012:user/alice",
                                     chain: ["arn:aws:iam::123456789012:role/build", "arn:aws:iam::123456789012:role/admin"])
        return a
    }

    @Test func theOriginatingActor_travelsInSlackAndOCSF() throws {
        let a = stitched()
        let slack = WebhookPayload.render(a, as: .slack)
        #expect(slack.contains("*Actor:* arn:aws:iam::123456789012:user/alice → arn:aws:iam::123456789012:role/build → arn:aws:iam::123456789012:role/admin"))
        let o = try JSONSerialization.jsonObject(with: Data(WebhookPayload.render(a, as: .ocsf).utf8)) as! [String: Any]
        let actor = (o["unmapped"] as! [String: Any])["actor"] as! [String: Any]
        #expect(actor["arn"] as? String == "arn:aws:iam::123456789012:user/alice")
        #expect(actor["chain"] as? [String] == a.finding.actor?.chain)
        #expect(((o["actor"] as! [String: Any])["user"] as! [String: Any])["uid"] as? String == a.finding.principal)
        #expect(!WebhookPayload.render(alert(), as: .slack).contains("Actor:"))   // absent when unknown
    }

    @Test func signature_isHMACOverTimestampDotBody() {
        let body = Array("{\"id\":\"x\"}".utf8)
        let sig = WebhookPayload.signature(secret: Array("k".utf8), timestamp: 1_700_000_000, body: body)
        let want = HMAC<SHA256>.authenticationCode(for: Array("1700000000.".utf8) + body, using: SymmetricKey(data: Array("k".utf8)))
        #expect(sig == "t=1700000000,v1=" + want.map { String(format: "%02x", $0) }.joined())
    }

    @Test func retryDelays_growExponentially_withJitter_upToTheCap() {
        var p = RetryPolicy()
        p.initialSeconds = 1
        p.maxSeconds = 60
        for n in 1...10 {
            let base = min(60, pow(2, Double(n - 1)))
            let d = p.delay(afterFailures: n)
            #expect(d >= base * 0.5 && d < base * 1.5)
        }
        let spread = Set((0..<20).map { _ in p.delay(afterFailures: 3) })
        #expect(spread.count > 1)       // jittered, not in step
    }
}
