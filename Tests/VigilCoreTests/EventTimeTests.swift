import Testing
import VigilCore

@Suite struct EventTimeTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2019-01-01T00:00:00Z", Int64(1_546_300_800_000)),
        ("2024-02-29T23:59:59.123Z", Int64(1_709_251_199_123)),
        ("2024-02-29T23:59:59.1234567Z", Int64(1_709_251_199_123)),
        ("2024-03-01T01:00:00+01:00", Int64(1_709_251_200_000)),
    ])
    func parse_whenRFC3339_returnsMillisecondsSinceEpoch(text: String, expected: Int64) {
        #expect(EventTime.parse(text) == expected)
    }

    @Test(arguments: ["", "2024-13-01T00:00:00Z", "2024-01-01 garbage", "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00."])
    func parse_whenMalformed_returnsNil(text: String) {
        #expect(EventTime.parse(text) == nil)
    }

    @Test func format_roundTripsThroughParse() {
        for t: Int64 in [0, 1, 999, 1_546_300_800_000, 1_709_251_199_123, -1] {
            #expect(EventTime.parse(EventTime.format(t)) == t)
        }
        #expect(EventTime.format(1_709_251_199_123) == "2024-02-29T23:59:59.123Z")
    }

    @Test func parseDuration_acceptsUnits() {
        #expect(EventTime.parseDuration("15m") == 15 * EventTime.minute)
        #expect(EventTime.parseDuration("7d") == 7 * EventTime.day)
        #expect(EventTime.parseDuration("10") == nil)
    }
}

@Suite struct AlertTests {
    func finding() -> Finding {
        Finding(kind: .rule, rule: "cloudtrail-logging-stopped", principal: "arn:aws:iam::1:user/a\"b", source: .cloudtrail,
                time: 1_709_251_199_123, score: 0.73456, severity: .critical, attack: ["T1562.008"],
                title: "CloudTrail logging stopped", reasons: [Reason(feature: "rule:x", value: 1, baseline: 0.5, text: "line\nbreak")],
                events: ["e1", "e2"], eventsTotal: 2)
    }

    @Test func jsonLine_keepsContractKeyOrder() {
        let line = Alert(finding: finding(), incident: nil).jsonLine()
        let keys = ["schema", "id", "incident", "time", "principal", "source", "score", "severity", "kind", "rule",
                    "attack", "title", "reasons", "events", "events_total"]
        var last = line.startIndex
        for k in keys {
            let r = line.range(of: "\"\(k)\":", range: last..<line.endIndex)
            #expect(r != nil, "key \(k) missing or out of order")
            if let r { last = r.upperBound }
        }
        #expect(line.contains("\"time\":\"2024-02-29T23:59:59.123Z\""))
        #expect(line.contains("\"score\":0.7346"))
        #expect(line.contains("a\\\"b"))
        #expect(line.contains("line\\nbreak"))
    }

    @Test func id_isSHA256OfKindRulePrincipalFirstEvidence() {
        let a = Alert(finding: finding(), incident: nil)
        #expect(a.id == Digest.sha256Hex("rule|cloudtrail-logging-stopped|arn:aws:iam::1:user/a\"b|e1", hexDigits: 32))
        #expect(a.id.count == 32)
        #expect(a.incident == a.id)
    }
}

import Foundation

@Suite struct RedactionTests {
    @Test func secrets_replacesValuesOfSecretKeys() {
        let text = #"{"credentials":{"sessionToken":"IQoJb3JpZ2luX2VjEXAMPLE","SecretAccessKey" : "wJalrXUtnFEMI/K7MDENG"},"password":"hunter2","user":"bob"}"#
        let out = Redaction.secrets(in: text)
        #expect(!out.contains("IQoJb3JpZ2luX2VjEXAMPLE"))
        #expect(!out.contains("wJalrXUtnFEMI"))
        #expect(!out.contains("hunter2"))
        #expect(out.contains("\"user\":\"bob\""))
    }

    @Test func secrets_redactsAValueCutShortByTheExcerpt() {
        #expect(Redaction.secrets(in: #"{"sessionToken":"IQoJb3JpZ2lu"#) == #"{"sessionToken":"[REDACTED]"#)
    }

    @Test func deadLetter_excerptIsRedacted() {
        let d = DeadLetter(reason: "not-json", position: SourcePosition(input: "x", offset: 0, line: 1),
                           excerpt: #"{"password":"p4ss""#, length: 17)
        #expect(d.jsonLine().contains("[REDACTED]"))
        #expect(!d.jsonLine().contains("p4ss"))
    }
}
