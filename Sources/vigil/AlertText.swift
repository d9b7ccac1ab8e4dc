import VigilCore

/// The human rendering of an alert (`--output text`): what, who, when, and why, in a few lines.
enum AlertText {
    static func render(_ a: Alert) -> String {
        let f = a.finding
        var s = "[\(f.severity.name.uppercased())] \(EventTime.format(f.time))  \(f.title)\n"
        s += "  principal: \(f.principal)\n"
        s += "  \(f.rule.map { "rule \($0)" } ?? f.kind.rawValue)  score \(JSONText.fixed(f.score, digits: 4))"
        if !f.attack.isEmpty { s += "  ATT&CK \(f.attack.joined(separator: ", "))" }
        s += "  incident \(a.incident.prefix(12))  alert \(a.id.prefix(12))\n"
        for r in f.reasons { s += "  - \(r.text)\n" }
        s += "  evidence: \(f.events.prefix(3).joined(separator: ", "))\(f.eventsTotal > 3 ? " … (\(f.eventsTotal) events)" : "")\n"
        return s
    }
}
