import Crypto
import Foundation
import VigilCore

/// What a webhook receiver gets: the alert as `vigil.alert/1` JSON, a Slack message, or an OCSF
/// Detection Finding.
public enum WebhookFormat: String, Sendable, CaseIterable, Codable {
    case json, slack, ocsf
}

/// Renders alerts for webhooks. Every value that comes from a log record (principal, titles and
/// reasons quoting user agents, resource names…) is attacker-controlled: it goes through the JSON
/// string escaper, and for Slack also through Slack's own escaping (`&`, `<`, `>`), so a crafted
/// name can neither break the JSON nor smuggle a `<!channel>` mention or a link into the message.
public enum WebhookPayload {
    public static func render(_ alert: Alert, as format: WebhookFormat) -> String {
        switch format {
        case .json: return alert.jsonLine()
        case .slack: return slack(alert)
        case .ocsf: return ocsf(alert)
        }
    }

    /// Slack's escaping for text it would otherwise parse as mentions, links or entities.
    public static func slackEscape(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            default: o.append(c)
            }
        }
        return o
    }

    static func slack(_ a: Alert) -> String {
        let f = a.finding
        let icon = [Severity.critical: ":rotating_light:", .high: ":red_circle:", .medium: ":large_orange_circle:",
                     .low: ":large_yellow_circle:", .info: ":information_source:"][f.severity] ?? ""
        let headline = "\(icon) *\(f.severity.name.uppercased())* \(slackEscape(f.title))"
        var detail = "*Principal:* \(slackEscape(f.principal))\n"
        if let actor = f.actor { detail += "*Actor:* \(slackEscape(actor.text))\n" }
        detail += "*When:* \(EventTime.format(f.time))  *Source:* \(f.source.rawValue)"
        if let r = f.rule { detail += "  *Rule:* \(slackEscape(r))" }
        if !f.attack.isEmpty { detail += "\n*ATT&amp;CK:* " + f.attack.map(slackEscape).joined(separator: ", ") }
        let reasons = f.reasons.prefix(5).map { "• " + slackEscape($0.text) }.joined(separator: "\n")
        var o = "{\"text\":"
        JSONText.appendString("[\(f.severity.name)] \(slackEscape(f.title)) — \(slackEscape(f.principal))", to: &o)
        o += ",\"blocks\":["
        for (i, text) in [headline, detail, reasons, "alert `\(a.id)` · incident `\(a.incident)` · \(f.eventsTotal) evidence events"].enumerated() where !text.isEmpty {
            if i > 0 { o += "," }
            o += "{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":"
            JSONText.appendString(text, to: &o)
            o += "}}"
        }
        return o + "]}"
    }

    /// OCSF 1.3 Detection Finding (class 2004, category 2 Findings, activity 1 Create).
    static func ocsf(_ a: Alert) -> String {
        let f = a.finding
        let severityID = [Severity.info: 1, .low: 2, .medium: 3, .high: 4, .critical: 5][f.severity] ?? 0
        var o = "{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"category_uid\":2,\"category_name\":\"Findings\""
        o += ",\"activity_id\":1,\"activity_name\":\"Create\",\"type_uid\":200401,\"type_name\":\"Detection Finding: Create\""
        o += ",\"severity_id\":\(severityID),\"severity\":\"\(f.severity.name.capitalized)\",\"status_id\":1,\"status\":\"New\""
        o += ",\"time\":\(f.time),\"message\":"
        JSONText.appendString(f.title, to: &o)
        o += ",\"metadata\":{\"version\":\"1.3.0\",\"product\":{\"name\":\"Vigil\",\"vendor_name\":\"Vigil\"},\"uid\":\"\(a.id)\",\"correlation_uid\":\"\(a.incident)\"}"
        o += ",\"finding_info\":{\"uid\":\"\(a.id)\",\"title\":"
        JSONText.appendString(f.title, to: &o)
        o += ",\"desc\":"
        JSONText.appendString(f.reasons.map(\.text).joined(separator: "; "), to: &o)
        o += ",\"created_time\":\(f.time),\"types\":[\"\(f.kind.rawValue)\"]"
        if let r = f.rule {
            o += ",\"analytic\":{\"uid\":"
            JSONText.appendString(r, to: &o)
            o += ",\"name\":"
            JSONText.appendString(r, to: &o)
            o += ",\"type_id\":1,\"type\":\"Rule\"}"
        } else {
            o += ",\"analytic\":{\"name\":\"isolation-forest\",\"type_id\":2,\"type\":\"Behavioral\"}"
        }
        o += ",\"attacks\":["
        for (i, t) in f.attack.enumerated() {
            if i > 0 { o += "," }
            o += "{\"technique\":{\"uid\":"
            JSONText.appendString(t, to: &o)
            o += "},\"version\":\"14\"}"
        }
        o += "],\"related_events\":["
        for (i, e) in f.events.prefix(Limits.alertEvidence).enumerated() {
            if i > 0 { o += "," }
            o += "{\"uid\":"
            JSONText.appendString(e, to: &o)
            o += "}"
        }
        o += "]},\"actor\":{\"user\":{\"uid\":"
        JSONText.appendString(f.principal, to: &o)
        o += "}},\"risk_score\":\(Int((min(1, max(0, f.score)) * 100).rounded()))"
        o += ",\"unmapped\":{\"source\":\"\(f.source.rawValue)\",\"events_total\":\(f.eventsTotal)"
        // OCSF's actor is the identity that made the call (the role session); the identity the
        // session's credentials trace back to has no OCSF attribute, so it travels as Vigil wrote it.
        if let actor = f.actor {
            o += ",\"actor\":"
            actor.appendJSON(to: &o)
        }
        return o + "}}"
    }

    /// `X-Vigil-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    /// Receivers recompute it and reject stale timestamps (replay protection).
    public static func signature(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}
