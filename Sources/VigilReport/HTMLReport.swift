import Crypto
import Foundation
import VigilCore

/// The report page: summary, incidents, principals, rendered to one self-contained HTML string.
///
/// Deterministic: the same alerts and logs give the same bytes (no generation time, sorted
/// everywhere), so reports can be diffed and checked into a case file.
/// Cost: O(alerts × reasons + evidence + principal-hours).
public struct HTMLReport {
    public let alerts: [ReportAlert]
    public let collected: ReportCollector?
    /// Where the alerts and logs came from, for the header (already redacted by the caller if needed).
    public var inputs: [String] = []

    public init(alerts: [ReportAlert], collected: ReportCollector?, inputs: [String] = []) {
        self.alerts = alerts
        self.collected = collected
        self.inputs = inputs
    }

    /// One incident: its alerts in time order.
    struct Incident {
        var id: String
        var alerts: [ReportAlert]
        var severityRank: Int { alerts.map(\.severityRank).max() ?? -1 }
        var severity: String { alerts.max { $0.severityRank < $1.severityRank }?.severity ?? "info" }
        var first: String { alerts.first?.time ?? "" }
    }

    /// Incidents by severity (highest first), then by first alert time, then id.
    var incidents: [Incident] {
        var byID: [String: [ReportAlert]] = [:]
        for a in alerts { byID[a.incident, default: []].append(a) }
        return byID.map { Incident(id: $0.key, alerts: $0.value.sorted { ($0.time, $0.id) < ($1.time, $1.id) }) }
            .sorted { ($1.severityRank, $0.first, $0.id) < ($0.severityRank, $1.first, $1.id) }
    }

    static let style = """
    :root{color-scheme:light dark;--fg:#1d232a;--muted:#5b6570;--bg:#fff;--card:#f5f7f9;--line:#d8dee4}
    @media (prefers-color-scheme:dark){:root{--fg:#e6e9ec;--muted:#9aa5b1;--bg:#14181c;--card:#1d2328;--line:#333c45}}
    body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:12px}
    h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;border-bottom:1px solid var(--line);padding-bottom:.2em;margin-top:1.6em}
    h3{font-size:1.05em;margin:.2em 0 .4em}.muted{color:var(--muted)}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
    .cards{display:flex;flex-wrap:wrap;gap:8px}.card{background:var(--card);border-radius:6px;padding:8px 12px;min-width:120px}
    .card b{display:block;font-size:1.4em}
    article{background:var(--card);border-radius:8px;padding:10px 12px;margin:12px 0;border-left:5px solid #888}
    .sev-critical{border-left-color:#8e1b10}.sev-high{border-left-color:#c0392b}.sev-medium{border-left-color:#d68910}
    .sev-low{border-left-color:#2e86c1}.sev-info{border-left-color:#7f8c8d}
    .badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:.8em;font-weight:600;text-transform:uppercase;color:#fff;background:#7f8c8d;margin-right:6px}
    .badge.critical{background:#8e1b10}.badge.high{background:#c0392b}.badge.medium{background:#b9770e}.badge.low{background:#2e86c1}
    dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:.4em 0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
    ul.reasons{margin:.2em 0 .6em;padding-left:1.2em}.scroll{overflow-x:auto}
    table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid var(--line);vertical-align:top}
    td{overflow-wrap:anywhere}th{color:var(--muted);font-weight:600}
    svg.activity{width:100%;height:auto;max-height:220px;background:var(--bg);border-radius:4px}
    section.principal{background:var(--card);border-radius:8px;padding:10px 12px;margin:12px 0}
    a{color:#2e86c1}
    """

    /// The Content-Security-Policy: nothing may load; the one style block is allowed by its hash.
    static var policy: String {
        let digest = SHA256.hash(data: Array(style.utf8))
        return "default-src 'none'; style-src 'sha256-\(Data(digest).base64EncodedString())'; base-uri 'none'; form-action 'none'"
    }

    public func render() -> String {
        let e = HTML.escape
        let incs = incidents
        var h = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        h += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(e(Self.policy))\">"
        h += "<meta name=\"referrer\" content=\"no-referrer\">"
        h += "<title>Vigil report: \(alerts.count) alerts in \(incs.count) incidents</title><style>\(Self.style)</style></head><body>\n"
        h += "<header><h1>Vigil report</h1><p class=\"muted\">\(alerts.count) alerts in \(incs.count) incidents"
        if !inputs.isEmpty { h += " · from " + inputs.map { "<code>\(e($0))</code>" }.joined(separator: ", ") }
        h += "</p></header>\n"
        h += summary(incs)
        h += "<section id=\"incidents\"><h2>Incidents</h2>\n"
        if incs.isEmpty { h += "<p>No alerts: nothing to investigate in these logs.</p>" }
        for inc in incs { h += incident(inc) }
        h += "</section>\n"
        h += principals()
        h += "<footer><p class=\"muted\">Written by <code>vigil report</code>. Every value taken from the logs is shown as text. ATT&amp;CK links go to attack.mitre.org.</p></footer>\n</body></html>\n"
        return h
    }
}
