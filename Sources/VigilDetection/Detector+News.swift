import VigilCore

// Findings never go quiet (Contract). Inside a rule's quiet period or an open incident, a match that
// shows something the finding has not shown yet (a client, a network, an actor, an action, a target,
// an outcome) is news: an alert of its own, same incident. What only repeats folds, and folded
// evidence comes out as one update alert per incident per 15 minutes of event time.
//
// Why: a noisy automation and an intruder on the same key (stolen CI credentials) share a principal.
// The automation's calls open the findings; the intruder's moves, minutes later with another client,
// would otherwise fall inside those findings' quiet periods and never reach anyone.

/// What one rule match shows, as tagged 64-bit keys: compared with what the finding's alerts
/// already showed.
struct MatchFacets {
    static let cap = 96

    enum Kind { case client, network, actor, resource, outcome, target }

    var keys: [UInt64] = []
    var kinds: [Kind] = []
    /// The target values, in the order of their keys (for words).
    var targets: [String] = []

    /// The facets a match of `r` can be news by. A rule about the caller rather than the action (no
    /// action list) alerts on the API calls a tool walks through: there only the client, the network
    /// and the actor are news (a new action is, when sensitive: see ``Detector/advance``). A burst
    /// counts many calls to many resources: its news is a new client, network or actor.
    init(_ e: AccessEvent, _ r: Rule, wide: Bool, target: [String]) {
        let k = e.identity
        add(k.agent ^ 0x6167_656e_7400_0001, .client)
        add(k.network ^ 0x6e65_7477_6f72_6b02, .network)
        if let a = e.resolvedActor { add(StableHash.fnv1a(a.arn) ^ 0x6163_746f_7200_0003, .actor) }
        guard !wide, r.threshold <= 1 else { return }
        add(k.resource ^ 0x7265_736f_7572_6304, .resource)
        add(e.outcome == .success ? 0x6f75_7463_6f6d_6505 : 0x6f75_7463_6f6d_6506, .outcome)
        for t in target {
            add(StableHash.fnv1a(t) ^ 0x7461_7267_6574_0007, .target)
            targets.append(t)
        }
    }

    private mutating func add(_ key: UInt64, _ kind: Kind) {
        keys.append(key)
        kinds.append(kind)
    }

    /// True when some facet is not among `shown`.
    func isNews(against shown: [UInt64]) -> Bool { keys.contains { !shown.contains($0) } }

    /// What is new, in words (`client aws-cli/2`, `network 198.51.100.0/24`, …).
    func describeNew(_ e: AccessEvent, against shown: [UInt64]) -> [String] {
        var out: [String] = []
        var t = 0
        for (key, kind) in zip(keys, kinds) {
            defer { if kind == .target { t += 1 } }
            guard !shown.contains(key) else { continue }
            switch kind {
            case .client: out.append("client \(AttributeKeys.userAgentFamily(e.userAgent))")
            case .network: out.append("network \(AttributeKeys.network(e.sourceIP))")
            case .actor: out.append("actor \(e.resolvedActor?.arn ?? "-")")
            case .resource: out.append("target \(e.resource ?? e.action)")
            case .outcome: out.append(e.outcome == .success ? "outcome success (after failures)" : "outcome failed (\(e.errorCode ?? "error")) after successes")
            case .target: out.append("target \(targets[t])")
            }
        }
        return out
    }

    /// Adds this match's facets to `shown` (bounded: beyond the cap the oldest go, so a long
    /// period's earliest facets may be news again; the alert cap bounds what that costs).
    func record(into shown: inout [UInt64]) {
        for k in keys where !shown.contains(k) { shown.append(k) }
        if shown.count > Self.cap { shown.removeFirst(shown.count - Self.cap) }
    }
}

/// Folded evidence of one incident waiting for its update alert.
struct PendingUpdate: Codable, Sendable {
    var incident: String
    var principal: String
    var source: SourceFormat
    var actor: ActorChain?
    /// Events folded since the incident's last alert.
    var count = 0
    /// Their IDs, oldest first: the newest ``Limits/alertEvidence`` are the evidence (up to twice
    /// as many are held between trims).
    var events: [String] = []
    /// Per finding folded into (rule ID, or `anomaly`), how many, in order of first fold.
    var findings: [String] = []
    var counts: [Int] = []
    /// Per finding, words its update must carry (a Sigma rule's title, author and licence, which its
    /// licence asks of everything the rule produces); empty for the others.
    var notes: [String]? = nil
    var severity: Severity
    var kind: FindingKind
    var attack: [String] = []
    var score = 0.0
    var first: Int64
    var last: Int64
    /// The update is due at this event time: 15 minutes after the incident's last alert.
    var due: Int64
}

extension PendingUpdate {
    mutating func add(_ e: AccessEvent, finding name: String, note: String, severity: Severity, attack: [String], score: Double) {
        count += 1
        if events.last != e.id { events.append(e.id) }
        // Trimmed in steps, not per fold (removing the first of a full list shifts the rest).
        if events.count >= 2 * Limits.alertEvidence { events.removeFirst(events.count - Limits.alertEvidence) }
        if let i = findings.firstIndex(of: name) {
            counts[i] += 1
        } else {
            findings.append(name)
            counts.append(1)
            notes = (notes ?? Array(repeating: "", count: findings.count - 1)) + [note]
        }
        if severity > self.severity { self.severity = severity }
        for a in attack where !self.attack.contains(a) { self.attack.append(a) }
        self.score = max(self.score, score)
        last = max(last, e.time)
        if actor == nil { actor = e.resolvedActor }
    }
}

/// The incidents with folded evidence not yet reported, and when the next is due.
struct IncidentUpdates: Codable, Sendable {
    /// Spacing of an incident's update alerts, in event time.
    static let every: Int64 = 15 * EventTime.minute

    var pending: [String: PendingUpdate] = [:]
    /// Smallest `due` in `pending` (Int64.max when none): the per-event check is one comparison.
    var nextDue = Int64.max
    /// When each incident (by principal) last had an alert, for spacing its updates.
    var lastReport: [String: Int64] = [:]

    mutating func reported(_ principal: String, at t: Int64) {
        lastReport[principal] = max(lastReport[principal] ?? .min, t)
    }

    /// Records one folded match of finding `name` (rule ID or `anomaly`). In place: a principal
    /// that folds thousands of events (a scraper inside an open finding) costs two lookups each.
    mutating func fold(_ e: AccessEvent, incident: String, finding name: String, note: String = "", kind: FindingKind, severity: Severity,
                       attack: [String], score: Double) {
        if pending[e.principal] == nil {
            let last = lastReport[e.principal] ?? e.time
            pending[e.principal] = PendingUpdate(incident: incident, principal: e.principal, source: e.source, actor: e.resolvedActor,
                                                 severity: severity, kind: kind, first: e.time, last: e.time,
                                                 due: max(e.time, last + Self.every))
        }
        pending[e.principal]!.add(e, finding: name, note: note, severity: severity, attack: attack, score: score)
        nextDue = min(nextDue, pending[e.principal]!.due)
    }

    /// The updates due by `now`, in (due, principal) order, removed from `pending`.
    mutating func due(by now: Int64) -> [PendingUpdate] {
        guard now >= nextDue else { return [] }
        let ready = pending.values.filter { $0.due <= now }.sorted { $0.due != $1.due ? $0.due < $1.due : $0.principal < $1.principal }
        for p in ready { pending[p.principal] = nil }
        nextDue = pending.values.map(\.due).min() ?? .max
        return ready
    }

    /// Forgets report times older than `horizon` (pending folds are due long before it).
    mutating func prune(before horizon: Int64) {
        lastReport = lastReport.filter { $0.value >= horizon || pending[$0.key] != nil }
    }
}

extension Detector {
    /// Notes a folded match for its incident's next update alert.
    mutating func fold(_ e: AccessEvent, finding name: String, note: String = "", kind: FindingKind, severity: Severity,
                       attack: [String], score: Double) {
        guard let inc = incidents[e.principal] else { return }
        updates.fold(e, incident: inc.id, finding: name, note: note, kind: kind, severity: severity, attack: attack, score: score)
    }

    /// Update alerts due at the watermark: what each incident folded since its last alert.
    mutating func dueUpdates() -> [Alert] {
        updates.due(by: newest).map { p in
            let names = zip(p.findings, p.counts).map { "\($1) more for \($0 == "anomaly" ? "its anomaly finding" : "rule " + $0)" }
            let span = EventTime.describe(max(EventTime.second, p.last - p.first))
            let reason = Reason(feature: "update", value: Double(p.count), baseline: 0,
                                text: "\(p.count) event\(p.count == 1 ? "" : "s") folded into this incident over \(span) since its last alert, each repeating what an alert already showed (\(names.joined(separator: ", ")))")
            let who = Self.shortName(p.principal)
            var f = Finding(kind: p.kind, rule: p.findings.count == 1 && p.findings[0] != "anomaly" ? p.findings[0] : nil,
                            principal: p.principal, source: p.source, time: p.last, score: p.score, severity: p.severity,
                            attack: p.attack, title: "Update: \(who) went on (\(p.count) more event\(p.count == 1 ? "" : "s") of an open incident)",
                            reasons: [reason] + zip(p.findings, p.notes ?? []).filter { !$1.isEmpty }.map {
                                Reason(feature: "rule:" + $0, value: 0, baseline: 0, text: $1)
                            },
                            events: p.events.suffix(Limits.alertEvidence).reversed(), eventsTotal: p.count)
            f.actor = p.actor
            f.update = true
            updates.reported(p.principal, at: p.last)
            if var inc = incidents[p.principal] {
                inc.last = max(inc.last, p.last)
                incidents[p.principal] = inc
            }
            return Alert(finding: f, incident: p.incident)
        }
    }
}

extension Detector {
    /// A mature suspect principal's (open anomaly finding) first call of a high-impact kind (its priors
    /// category at 0.65 or above): an alert of the same incident, rather than a silent hold. At most
    /// ``ColdStartWatch/maxPerPrincipal`` per open finding; a failed call is one severity lower.
    mutating func suspectCall(_ e: AccessEvent, _ fv: FeatureVector, _ score: Double, window: () -> [String]) -> Finding? {
        // A young principal's first calls are the cold-start priors' to judge (with their own cap).
        guard fv.context.actionLastSeen == nil, fv.context.learnedEvents >= config.maturityEvents, let ci = rules.priors.category(of: e.action), !ColdStartWatch.serviceActing(e) else { return nil }
        let c = rules.priors.categories[ci]
        guard c.prior >= 0.65 else { return nil }
        let key = e.identity.action
        var seen = suspectCalls[e.principal] ?? []
        guard seen.count < ColdStartWatch.maxPerPrincipal, !seen.contains(key) else { return nil }
        seen.append(key)
        suspectCalls[e.principal] = seen
        counters.anomalyFindings += 1
        counters.news += 1
        let failed = e.outcome != .success
        if failed { counters.attempts += 1 }
        let full: Severity = c.prior >= 0.85 ? .high : .medium
        let severity = failed ? full.oneLower : full
        let opened = anomalyOpen[e.principal].map { " (last anomalous event at \(EventTime.format($0)))" } ?? ""
        let attempt = failed ? Self.attemptPrefix(e) : ""
        var reasons = [Reason(feature: "prior:\(c.id)", value: c.prior, baseline: 0,
                              text: attempt + "\(e.action) \(c.words) (prior \(c.prior) from Models/priors.json), the principal's first such call, while its anomaly finding is open\(opened)")]
        for f in [Feature.newNetwork, .newUserAgent, .hourRarity, .dormancy] where Explainer.isNotable(f, fv) && reasons.count < 4 {
            reasons.append(Explainer.reason(f, fv, e))
        }
        var events = [e.id]
        let ids = window()
        for id in ids.reversed() where id != e.id && events.count < Limits.alertEvidence { events.append(id) }
        let who = Self.shortName(e.principal)
        return Finding(kind: .anomaly, rule: nil, principal: e.principal, source: e.source, time: e.time,
                       score: max(score, config.anomalyThreshold), severity: severity, attack: c.attack,
                       title: (failed ? "Attempted: " : "") + "Suspect principal's high-impact call: \(who) \(c.words) (\(e.operation))",
                       reasons: reasons, events: events, eventsTotal: max(fv.context.windowEvents, ids.count, 1))
    }
}
