import Testing
import VigilCore
@testable import VigilResponders

@Suite struct PIIRedactorTests {
    let r = PIIRedactor(key: Array("a test key of thirty-two bytes!!".utf8))

    @Test func emailsAndIPs_becomeStableKeyedTokens() {
        let text = "alice.smith+ops@example.co.uk signed in from 203.0.113.7 and 2001:db8::17, then bob@corp.example."
        let out = r.redact(text: text)
        #expect(!out.contains("alice") && !out.contains("203.0.113.7") && !out.contains("2001:db8") && !out.contains("bob@"))
        #expect(out.contains(r.token("alice.smith+ops@example.co.uk")))
        #expect(out.hasSuffix(r.token("bob@corp.example") + "."))      // the full stop stays
        #expect(r.redact(text: text) == out)                              // stable
        #expect(PIIRedactor(key: Array("another key of thirty-two bytes!".utf8)).redact(text: text) != out)   // keyed
    }

    @Test func networksTimesAndARNs_areLeftAlone_exceptTheAddressInACIDR() {
        #expect(r.redact(text: "active at 11:00 UTC, 2026-11-06T19:36:39.149Z") == "active at 11:00 UTC, 2026-11-06T19:36:39.149Z")
        #expect(r.redact(text: "arn:aws:iam::123456789012:role/admin") == "arn:aws:iam::123456789012:role/admin")
        #expect(r.redact(text: "first request from network 45.104.155.0/24") == "first request from network \(r.token("45.104.155.0"))/24")
        #expect(r.redact(text: "version 1.2.3.4567 and 300.1.1.1") == "version 1.2.3.4567 and 300.1.1.1")
    }

    @Test func theActor_isRedactedLikeThePrincipal() {
        var f = Finding(kind: .rule, rule: "x", principal: "arn:aws:sts::123456789012:assumed-role/okta-admin/dana@example.com", source: .cloudtrail,
                        time: 0, score: 0.5, severity: .high, attack: [], title: "t", reasons: [], events: ["e"], eventsTotal: 1)
        f.actor = ActorChain(arn: "arn:aws:iam::123456789012:saml-provider/Okta/dana@example.com", chain: ["arn:aws:iam::123456789012:role/okta-admin"])
        let out = r.redact(Alert(finding: f, incident: nil))
        #expect(out.finding.actor?.arn == "arn:aws:iam::123456789012:saml-provider/Okta/" + r.token("dana@example.com"))
        #expect(out.finding.actor?.chain == ["arn:aws:iam::123456789012:role/okta-admin"])
        #expect(!out.jsonLine().contains("dana@"))
    }
}
