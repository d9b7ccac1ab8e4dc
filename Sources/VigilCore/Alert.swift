/// A `vigil.alert/1` record: a finding with its identity and incident.
///
/// The JSON form is a contract (key order included), so it is written by hand in ``jsonLine()``.
public struct Alert: Sendable {
    public static let schema = "vigil.alert/1"

    public var id: String
    public var incident: String
    public var finding: Finding

    public init(finding: Finding, incident: String?) {
        self.finding = finding
        self.id = Alert.identity(of: finding)
        self.incident = incident ?? self.id
    }

    /// First 32 hex digits of SHA-256 of `kind|rule-or-anomaly|principal|first evidence event ID`.
    public static func identity(of f: Finding) -> String {
        let key = "\(f.kind.rawValue)|\(f.rule ?? "anomaly")|\(f.principal)|\(f.events.first ?? "")"
        return Digest.sha256Hex(key, hexDigits: 32)
    }

    /// One line of JSON (no trailing newline) with keys in the Contract's order.
    public func jsonLine() -> String {
        let f = finding
        var o = "{\"schema\":\"\(Alert.schema)\",\"id\":\"\(id)\",\"incident\":\"\(incident)\",\"time\":\""
        o += EventTime.format(f.time) + "\",\"principal\":"
        JSONText.appendString(f.principal, to: &o)
        if let actor = f.actor {
            o += ",\"actor\":"
            actor.appendJSON(to: &o)
        }
        o += ",\"source\":\"\(f.source.rawValue)\",\"score\":" + JSONText.fixed(min(1, max(0, f.score)), digits: 4)
        o += ",\"severity\":\"\(f.severity.name)\",\"kind\":\"\(f.kind.rawValue)\""
        if f.update { o += ",\"update\":true" }
        if let r = f.rule {
            o += ",\"rule\":"
            JSONText.appendString(r, to: &o)
        }
        o += ",\"attack\":["
        for (i, a) in f.attack.enumerated() {
            if i > 0 { o += "," }
            JSONText.appendString(a, to: &o)
        }
        o += "],\"title\":"
        JSONText.appendString(f.title, to: &o)
        o += ",\"reasons\":["
        for (i, r) in f.reasons.enumerated() {
            if i > 0 { o += "," }
            o += "{\"feature\":"
            JSONText.appendString(r.feature, to: &o)
            o += ",\"value\":" + JSONText.number(r.value) + ",\"baseline\":" + JSONText.number(r.baseline) + ",\"text\":"
            JSONText.appendString(r.text, to: &o)
            o += "}"
        }
        o += "],\"events\":["
        for (i, e) in f.events.prefix(Limits.alertEvidence).enumerated() {
            if i > 0 { o += "," }
            JSONText.appendString(e, to: &o)
        }
        o += "],\"events_total\":\(max(f.eventsTotal, min(f.events.count, Limits.alertEvidence)))}"
        return o
    }
}
