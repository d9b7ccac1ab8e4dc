import Foundation
import VigilCore

extension HTMLReport {
    /// Time span, events, principals, alerts and incidents by severity and by ATT&CK tactic.
    func summary(_ incs: [Incident]) -> String {
        let e = HTML.escape
        var h = "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">"
        func card(_ label: String, _ value: String) { h += "<div class=\"card\"><b>\(value)</b>\(label)</div>" }
        if let c = collected, let first = c.first, let last = c.last {
            card("events read", "\(c.events)")
            let p = c.principalCount
            card("principals", (p.capped ? "≥ " : "") + "\(p.count)")
            h += "<div class=\"card\"><b class=\"mono\">\(EventTime.format(first)) – \(EventTime.format(last))</b>time span (event time)</div>"
        } else if let first = alerts.map(\.time).min(), let last = alerts.map(\.time).max() {
            h += "<div class=\"card\"><b class=\"mono\">\(e(first)) – \(e(last))</b>time span of the alerts (give the log paths for events and charts)</div>"
        }
        card("alerts", "\(alerts.count)")
        card("incidents", "\(incs.count)")
        h += "</div>"
        // By severity.
        h += "<div class=\"scroll\"><table id=\"by-severity\"><tr><th>Severity</th><th>Incidents</th><th>Alerts</th></tr>"
        for sev in ["critical", "high", "medium", "low", "info"] {
            let a = alerts.filter { $0.severity == sev }.count
            let i = incs.filter { $0.severity == sev }.count
            if a > 0 || i > 0 { h += "<tr><td><span class=\"badge \(sev)\">\(sev)</span></td><td>\(i)</td><td>\(a)</td></tr>" }
        }
        h += "</table></div>"
        // By tactic: an alert counts once under each tactic of its techniques.
        var byTactic: [String: (alerts: Int, incidents: Set<String>)] = [:]
        for a in alerts {
            var tactics = Set(a.attack.flatMap(AttackTactics.tactics))
            if a.attack.isEmpty { tactics = ["(no technique named)"] } else if tactics.isEmpty { tactics = ["unmapped"] }
            for t in tactics {
                byTactic[t, default: (0, [])].alerts += 1
                byTactic[t]!.incidents.insert(a.incident)
            }
        }
        let order = AttackTactics.order + ["unmapped", "(no technique named)"]
        h += "<div class=\"scroll\"><table id=\"by-tactic\"><tr><th>ATT&amp;CK tactic</th><th>Incidents</th><th>Alerts</th></tr>"
        for t in order { if let v = byTactic[t] { h += "<tr><td>\(e(t))</td><td>\(v.incidents.count)</td><td>\(v.alerts)</td></tr>" } }
        h += "</table></div><p class=\"muted\">An alert is counted under every tactic of the techniques it names.</p></section>\n"
        return h
    }

    /// One incident: the only element carrying `data-incident`.
    func incident(_ inc: Incident) -> String {
        let e = HTML.escape
        let head = inc.alerts[0]
        var h = "<article class=\"incident sev-\(e(inc.severity))\" id=\"incident-\(e(inc.id))\" data-incident=\"\(e(inc.id))\">"
        h += "<h3><span class=\"badge \(e(inc.severity))\">\(e(inc.severity))</span>\(e(head.title))</h3><dl>"
        h += "<dt>Principal</dt><dd class=\"mono\">\(e(head.principal))</dd>"
        if let actor = head.actor {
            h += "<dt>Actor</dt><dd class=\"mono\">\(e(actor.arn))"
            for role in actor.chain ?? [] { h += " → \(e(role))" }
            h += "</dd>"
        }
        let last = inc.alerts.last!.time
        h += "<dt>When</dt><dd class=\"mono\">\(e(head.time))" + (last != head.time ? " – \(e(last))" : "") + "</dd>"
        h += "<dt>Alerts</dt><dd>\(inc.alerts.count), covering \(inc.alerts.map(\.eventsTotal).reduce(0, +)) events</dd>"
        let techniques = Array(Set(inc.alerts.flatMap(\.attack))).sorted()
        if !techniques.isEmpty {
            h += "<dt>ATT&amp;CK</dt><dd>" + techniques.map { t in
                let tactics = AttackTactics.tactics(of: t).joined(separator: ", ")
                let label = e(t) + (tactics.isEmpty ? "" : " (\(e(tactics)))")
                return AttackTactics.url(of: t).map { "<a href=\"\($0)\" rel=\"noreferrer\">\(label)</a>" } ?? label
            }.joined(separator: ", ") + "</dd>"
        }
        h += "<dt>Incident id</dt><dd class=\"mono\">\(e(inc.id))</dd></dl>"
        for a in inc.alerts {
            h += "<div class=\"alert\" id=\"alert-\(e(a.id))\"><p><span class=\"mono\">\(e(a.time))</span> · \(e(a.severity)) · score \(String(format: "%.2f", a.score))"
            h += (a.id != head.id ? " · \(e(a.title))" : "") + "</p><ul class=\"reasons\">"
            for r in a.reasons { h += "<li>\(e(r.text))</li>" }
            h += "</ul></div>"
        }
        h += timeline(inc)
        return h + "</article>\n"
    }

    /// The incident's evidence events, in time order, read back from the logs.
    func timeline(_ inc: Incident) -> String {
        let e = HTML.escape
        var ids: [String] = []
        var seen = Set<String>()
        for a in inc.alerts { for id in a.events where seen.insert(id).inserted { ids.append(id) } }
        guard let c = collected else {
            return "<p class=\"muted\">\(ids.count) evidence event id(s); give the log paths to see them.</p>"
        }
        let found = ids.compactMap { id in c.evidence[id].map { (id, $0) } }.sorted { ($0.1.time, $0.0) < ($1.1.time, $1.0) }
        var h = "<details open><summary>Evidence: \(found.count) event(s)"
        if found.count < ids.count { h += ", \(ids.count - found.count) not in the logs given" }
        h += "</summary><div class=\"scroll\"><table class=\"timeline\"><tr><th>Time</th><th>Action</th><th>Resource</th><th>Source IP</th><th>User agent</th><th>Status</th></tr>"
        for (_, ev) in found {
            h += "<tr><td class=\"mono\">\(EventTime.format(ev.time))</td><td class=\"mono\">\(e(ev.action))</td><td class=\"mono\">\(e(ev.resource ?? "–"))</td>"
            h += "<td class=\"mono\">\(e(ev.sourceIP ?? "–"))</td><td class=\"mono\">\(e(ev.userAgent ?? "–"))</td><td>\(e(ev.status))</td></tr>"
        }
        return h + "</table></div></details>"
    }

    /// Each alerting principal: its activity chart and the first-seen items that made it unusual.
    func principals() -> String {
        let e = HTML.escape
        let names = Array(Set(alerts.map(\.principal))).sorted()
        var h = "<section id=\"principals\"><h2>Principals that alerted</h2>"
        if collected == nil { h += "<p class=\"muted\">Give the log paths to see each principal's activity against its baseline.</p>" }
        let kinds = [("new_action", "API"), ("new_network", "network"), ("new_user_agent", "user agent"), ("new_region", "region")]
        for p in names {
            let mine = alerts.filter { $0.principal == p }.sorted { ($0.time, $0.id) < ($1.time, $1.id) }
            h += "<section class=\"principal\"><h3 class=\"mono\">\(e(p))</h3>"
            if p.hasPrefix("source:") {
                h += "<p class=\"muted\">A log source, not a principal: it stopped delivering while the others went on (see its incident's reasons).</p>"
            } else if p == "vigil:model" {
                h += "<p class=\"muted\">Vigil's model itself: drift findings describe the whole stream, not one principal's activity.</p>"
            } else if let hours = collected?.activity[p] {
                let marks = mine.compactMap { a in EventTime.parse(a.time).map { (time: $0, label: "\(a.time): \(a.title)") } }
                h += ActivityChart.svg(principal: p, hours: hours, alerts: marks)
                h += "<p class=\"muted\">Bars: events per hour. Band: the usual rate its baseline had learnt, ± 2√usual. Red lines: alerts.</p>"
            }
            var items: [(String, String)] = []
            var seen = Set<String>()
            for a in mine { for r in a.reasons { if let k = kinds.first(where: { $0.0 == r.feature }), seen.insert(r.text).inserted { items.append((k.1, r.text)) } } }
            if !items.isEmpty {
                h += "<p>First seen:</p><ul class=\"first-seen\">" + items.map { "<li><b>\(e($0.0))</b>: \(e($0.1))</li>" }.joined() + "</ul>"
            }
            h += "<p>Incidents: " + Array(Set(mine.map(\.incident))).sorted().map { "<a href=\"#incident-\(e($0))\" class=\"mono\">\(e(String($0.prefix(12))))</a>" }.joined(separator: ", ") + "</p>"
            h += "</section>\n"
        }
        return h + "</section>\n"
    }
}
