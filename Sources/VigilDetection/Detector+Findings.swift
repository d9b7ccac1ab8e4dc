import VigilCore

extension Detector {
    /// Records a rule match; raises a finding when the rule's threshold is reached and no finding
    /// of this rule is open for the principal.
    mutating func ruleHit(_ i: Int, _ r: Rule, _ e: AccessEvent, _ fv: FeatureVector, _ score: Double,
                          weight: Int = 1, target: [String] = []) -> RuleHit {
        let key = BurstKey(rule: i, principal: e.principal)
        // The burst state is changed in place (one hash lookup, no copy of its deque).
        var another = false
        let facets = MatchFacets(e, r, wide: r.isWide, target: target)
        var news: [String] = []
        switch Self.advance(&bursts[key, default: BurstState()], r, e, fv, weight: weight, facets: facets, news: &news) {
        case .joined:
            counters.joined += 1
            return .joined
        case .counted:
            return .counted
        case .fire:
            break
        case .fireAnother:
            another = true
        }
        counters.ruleFindings += 1
        let st = bursts[key]!

        // A burst of news inside the quiet period is a burst of its own: its count, span and events.
        let novel = another && r.threshold > 1
        let count = novel ? (st.novelTotal ?? 0) : st.total
        let since0 = novel ? (st.novelSince ?? e.time) : (st.hits.first?.time ?? e.time)
        let span = max(0, e.time - since0)
        let attempt = r.isAttempt(e.outcome)
        var text = fill(r.text, e, count: count, span: r.threshold > 1 ? span : r.window)
        if attempt {
            counters.attempts += 1
            text = Self.attemptPrefix(e) + text
        }
        var reasons = [Reason(feature: "rule:" + r.id, value: Double(count), baseline: 0, text: text)]
        if another {
            counters.news += 1
            reasons.append(Reason(feature: "news", value: Double(news.count), baseline: 0,
                                  text: "inside this rule's open finding for the principal, but showing what its alerts had not: " + news.joined(separator: ", ")))
        }
        // "First X by this principal" only makes sense for rules about specific actions.
        let specific = !r.actions.isEmpty && !r.actions.contains { $0.hasSuffix("*") }
        // A new action of an open finding has its own history: this event's, not the burst's first.
        let firstWasNew = another ? fv.context.actionLastSeen == nil : st.firstWasNew
        let priorUse = another ? fv.context.actionLastSeen : st.priorUse
        let since = another ? e.time : (st.hits.first?.time ?? e.time)
        var history: String
        if !specific {
            history = ""
        } else if firstWasNew {
            history = "first \(e.operation) by this principal"
        } else if let p = priorUse {
            history = "\(e.operation) last used by this principal \(EventTime.describe(max(0, since - p))) before"
        } else {
            history = ""
        }
        if r.threshold > 1 && specific {
            let burst = "\(count) calls in \(EventTime.describe(max(span, EventTime.second)))"
            history = history.isEmpty ? burst : history + "; " + burst
        }
        if !history.isEmpty {
            reasons.append(Reason(feature: Feature.newAction.name, value: firstWasNew ? 1 : 0, baseline: 0, text: history))
        }
        for f in [Feature.newNetwork, .newUserAgent, .hourRarity, .dormancy] where Explainer.isNotable(f, fv) {
            reasons.append(Explainer.reason(f, fv, e))
        }
        var events = [e.id]
        if novel {
            for id in (st.novelIDs ?? []).reversed() where id != e.id && events.count < Limits.alertEvidence { events.append(id) }
            bursts[key]!.novelTotal = 0
            bursts[key]!.novelIDs = []
        } else {
            for h in st.hits.reversed() where h.id != e.id && events.count < Limits.alertEvidence { events.append(h.id) }
        }
        return .fired(Finding(kind: .rule, rule: r.id, principal: e.principal, source: e.source, time: e.time,
                              score: score, severity: r.severity(for: e.outcome), attack: r.attack,
                              title: attempt ? "Attempted: " + r.title : r.title, reasons: reasons,
                              events: events, eventsTotal: novel ? max(count, events.count) : st.hits.count))
    }

    /// Evaluates the Sigma rules that see this event's format; matches go through ``ruleHit`` like
    /// built-in rule matches (one finding per rule and principal while its dedupe lasts), with the
    /// matched fields and the rule's title, author and licence in the first reason.
    mutating func sigma(_ index: SigmaIndex, _ e: AccessEvent, _ fv: FeatureVector, _ score: Double, _ out: inout Detection) {
        let candidates = index.candidates(e)
        guard !candidates.isEmpty else { return }
        var record = SigmaRecord(raw: e.raw)
        for i in candidates {
            let r = rules.rules[i]
            guard let s = r.sigma, s.sees(e.source, &record), s.holds(&record) else { continue }
            switch ruleHit(i, r, e, fv, score) {
            case .counted:
                continue
            case .joined:
                fold(e, finding: r.id, note: "Sigma rule \"\(s.title)\" " + s.attribution, kind: .rule, severity: r.severity,
                     attack: r.attack, score: score)
            case .fired(var f):
                let fields = s.matchedFields(&record)
                f.reasons[0].text = "Sigma rule \"\(s.title)\" matched"
                    + (fields.isEmpty ? "" : ": " + fields.joined(separator: ", "))
                    + " " + s.attribution
                out.alerts.append(assign(f))
            }
            out.ruleMatched = true
            if r.severity >= .high { out.severe = true }
        }
    }

    /// `fireAnother`: a new action of an open single-event finding (a new alert, same incident).
    enum BurstStep { case joined, counted, fire, fireAnother }

    /// Adds a match to a rule's burst window for one principal: drops hits older than the window,
    /// keeps enough for the threshold and the evidence list, and says whether the match joins an
    /// open finding, only counts, or fires (then the finding's quiet period starts). Inside the quiet
    /// period a match that shows something the period's alerts have not (``MatchFacets``) is news:
    /// a single-event rule fires another alert; a burst rule counts such matches towards a burst of
    /// their own. `news` receives what was new, in words.
    static func advance(_ st: inout BurstState, _ r: Rule, _ e: AccessEvent, _ fv: FeatureVector, weight: Int,
                        facets: MatchFacets, news: inout [String]) -> BurstStep {
        while let h = st.hits.first, h.time < e.time - r.window {
            st.hits.removeFirst()
            st.total -= h.weight
        }
        if st.hits.isEmpty {
            st.priorUse = fv.context.actionLastSeen
            st.firstWasNew = fv.context.actionLastSeen == nil
        }
        st.hits.append(Hit(time: e.time, id: e.id, weight: weight))
        st.total += weight
        // Keep enough hits to reach the threshold and to fill the evidence list, no more.
        while st.hits.count > Limits.alertEvidence, let first = st.hits.first, st.total - first.weight >= r.threshold {
            st.hits.removeFirst()
            st.total -= first.weight
        }
        st.last = max(st.last, e.time)
        if e.time <= st.quietUntil {
            // Complete incidents (Contract): inside the quiet period, news is an alert of the same
            // incident; a repeat only joins. A rule about the caller rather than the action (no
            // action list: a hacking tool's user agent) would alert on every API the tool walks
            // through; there a new action is news only when it is sensitive, and recon joins.
            var alerted = st.alerted ?? []
            var shown = st.shown ?? []
            guard (st.newsAlerts ?? 0) + 1 < BurstState.alertedCap else { return .joined }
            let newAction = !alerted.contains(e.action) && (!r.isWide || Explainer.isNotable(.sensitivity, fv))
            let newFacets = !shown.isEmpty && facets.isNews(against: shown)
            guard newFacets || (newAction && r.threshold <= 1) else { return .joined }
            if r.threshold > 1 {
                // A burst of news: the same threshold, counted over the matches that show it.
                if let since = st.novelSince, since >= e.time - r.window, (st.novelTotal ?? 0) > 0 {
                    st.novelTotal = (st.novelTotal ?? 0) + weight
                } else {
                    st.novelTotal = weight
                    st.novelSince = e.time
                    st.novelIDs = []
                }
                st.novelIDs!.append(e.id)
                if st.novelIDs!.count > Limits.alertEvidence { st.novelIDs!.removeFirst() }
                guard st.novelTotal! >= r.threshold else { return .joined }
            }
            news = facets.describeNew(e, against: shown)
            if newAction && !news.contains(where: { $0.hasPrefix("action") }) { news.insert("action \(e.action)", at: 0) }
            if !alerted.contains(e.action) { alerted.append(e.action) }
            facets.record(into: &shown)
            st.alerted = alerted
            st.shown = shown
            st.newsAlerts = (st.newsAlerts ?? 0) + 1
            return .fireAnother
        }
        guard st.total >= r.threshold else { return .counted }
        st.quietUntil = e.time + r.dedupe
        st.alerted = [e.action]
        var shown: [UInt64] = []
        facets.record(into: &shown)
        st.shown = shown
        st.newsAlerts = 0
        st.novelTotal = 0
        st.novelIDs = []
        return .fire
    }

    /// A compute session's credentials used from a second public network, or from outside AWS: the
    /// networks in the reasons, the event that used them elsewhere as evidence.
    func credentialFinding(_ e: AccessEvent, _ fv: FeatureVector, _ score: Double, _ hit: CredentialBinding.Hit) -> Finding {
        let role = Self.shortName(e.principal)
        let rule: String, title: String, text: String
        switch hit {
        case .offNetwork(let kind, let bound, let network):
            rule = "compute-credentials-off-network"
            title = "Credentials of a compute resource used from outside its network"
            text = "temporary credentials of \(kind) (role \(role)) were first used from network \(bound.network) at \(EventTime.format(bound.first)); this \(e.operation) came from network \(network)"
        case .outsideAWS(let kind, let bound, let network):
            rule = "compute-credentials-outside-aws"
            title = "Credentials of a compute resource used from outside AWS"
            let before = bound.map { "; they were first used from network \($0.network) at \(EventTime.format($0.first))" } ?? ""
            let about = rules.awsRanges?.about ?? ""
            text = "temporary credentials of \(kind) (role \(role)) were used for \(e.operation) from \(e.sourceIP ?? network), an address outside AWS's published ranges\(about.isEmpty ? "" : " (" + about + ")") and not through a VPC endpoint\(before)"
        }
        var reasons = [Reason(feature: "rule:" + rule, value: 1, baseline: 0, text: text)]
        for f in [Feature.newNetwork, .newUserAgent, .hourRarity] where Explainer.isNotable(f, fv) { reasons.append(Explainer.reason(f, fv, e)) }
        return Finding(kind: .rule, rule: rule, principal: e.principal, source: e.source, time: e.time,
                       score: score, severity: .high, attack: ["T1552.005", "T1078.004"],
                       title: title, reasons: reasons, events: [e.id], eventsTotal: 1)
    }

    /// A log source gone quiet: evidence is its last event, the time that of the event which moved
    /// the watermark past its limit.
    func silenceFinding(_ s: SilenceWatch.Source, limit: Int64, at e: AccessEvent) -> Finding {
        let quiet = e.time - s.last
        let usual = Int64(s.usualGap)
        let reason = Reason(feature: "silence", value: Double(quiet) / 1000, baseline: Double(usual) / 1000,
                            text: "no events from \(s.name) since \(EventTime.format(s.last)) (\(EventTime.describe(quiet)) of event time while other sources went on); its usual gap is about \(EventTime.describe(max(usual, EventTime.second))), so silence beyond \(EventTime.describe(limit)) is unusual")
        return Finding(kind: .silence, rule: "log-source-silent", principal: "source:" + s.name, source: s.format, time: e.time,
                       score: 0, severity: .medium, attack: ["T1562.008"], title: "Log source went silent: \(s.name)",
                       reasons: [reason], events: [s.lastID], eventsTotal: 1)
    }

    /// Builds an anomaly finding: reasons from the features that isolated the event.
    func anomalyFinding(_ e: AccessEvent, _ fv: FeatureVector, _ score: Double, _ attribution: [Double],
                        _ window: [String]) -> Finding {
        let ranked = Feature.allCases.sorted { a, b in
            attribution[a.rawValue] != attribution[b.rawValue] ? attribution[a.rawValue] > attribution[b.rawValue] : a.rawValue < b.rawValue
        }
        // Name the notable features, those that isolated the event first; never a feature that only
        // points the benign way.
        let notable = ranked.filter { Explainer.isNotable($0, fv) }
        let chosen = notable.filter { attribution[$0.rawValue] >= config.reasonShare } + notable.filter { attribution[$0.rawValue] < config.reasonShare }
        let reasons = chosen.prefix(4).map { Explainer.reason($0, fv, e) }

        var severity: Severity = score >= 0.85 ? .high : (score >= 0.78 ? .medium : .low)
        if fv[.sensitivity] >= 0.8 && severity < .high { severity = Severity(rawValue: severity.rawValue + 1) ?? severity }
        var events = [e.id]
        for id in window.reversed() where id != e.id && events.count < Limits.alertEvidence { events.append(id) }
        let who = Self.shortName(e.principal)
        let title = "Unusual activity by \(who): " + (reasons.first?.text ?? "behaviour unlike its past")
        return Finding(kind: .anomaly, rule: nil, principal: e.principal, source: e.source, time: e.time,
                       score: score, severity: severity, attack: Self.techniques(for: chosen, e), title: title,
                       reasons: Array(reasons), events: events, eventsTotal: max(fv.context.windowEvents, window.count, 1))
    }

    /// ATT&CK techniques suggested by what made an event anomalous.
    static func techniques(for features: [Feature], _ e: AccessEvent) -> [String] {
        var t: [String] = []
        let s = Set(features)
        if s.contains(.newNetwork) || s.contains(.newUserAgent) || s.contains(.dormancy) || s.contains(.hourRarity) {
            t.append("T1078.004")   // Valid Accounts: Cloud Accounts
        }
        let isRead = e.readOnly ?? (e.operation.hasPrefix("List") || e.operation.hasPrefix("Describe") || e.operation.hasPrefix("Get"))
        if (s.contains(.distinctActions) || s.contains(.distinctResources)) && isRead {
            t.append("T1580")   // Cloud Infrastructure Discovery
        }
        if s.contains(.bytesOut) { t.append("T1530") }   // Data from Cloud Storage
        if s.contains(.errorRatio) { t.append("T1580") }
        var seen = Set<String>()
        return t.filter { seen.insert($0).inserted }
    }

    /// The last part of an ARN (`user/alice` → `alice`), for titles and reasons.
    static func shortName(_ principal: String) -> String {
        principal.split(separator: "/").last.map(String.init) ?? principal
    }

    /// How a finding on a failed call begins its reason: it was attempted, and with which error.
    static func attemptPrefix(_ e: AccessEvent) -> String {
        "attempted, and failed with \(e.errorCode ?? "an error"): "
    }

    func fill(_ template: String, _ e: AccessEvent, count: Int, span: Int64) -> String {
        guard template.utf8.contains(UInt8(ascii: "{")) else { return template }
        var s = template
        let pairs: [(String, String)] = [
            ("{count}", String(count)), ("{window}", EventTime.describe(max(span, EventTime.second))),
            ("{resource}", e.resource ?? "-"), ("{actor}", e.actorName ?? e.principal), ("{action}", e.action),
            ("{operation}", String(e.operation)), ("{ip}", e.sourceIP ?? "-"), ("{principal}", e.principal),
        ]
        for (k, v) in pairs where s.contains(k) { s = s.replacingOccurrences(of: k, with: v) }
        return s
    }
}

import Foundation
