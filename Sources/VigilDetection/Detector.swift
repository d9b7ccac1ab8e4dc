import DequeModule
import VigilCore

/// What the detector made of one event.
public struct Detection: Sendable {
    public var alerts: [Alert] = []
    /// The event scored at or above the anomaly threshold (its lesson should be held).
    public var anomalous = false
    /// A rule finding covers the event: it raised one, or joined one already open. (A match that only
    /// counts towards a burst threshold does not count.)
    public var ruleMatched = false
    /// A high or critical finding was raised or joined: the principal's held lessons are suspect.
    public var severe = false
    /// The principal has an open anomaly finding (within the cooldown of its last anomalous event):
    /// what it does now should not be learned yet, even when this event alone looks ordinary.
    public var suspect = false
    /// Update alerts that came due with this event's time (possibly of other principals'
    /// incidents): emitted after `alerts`, without this event as their context.
    public var updates: [Alert] = []
}

/// Counts of what the detector did, for `--stats`.
public struct DetectorCounters: Codable, Sendable, Equatable {
    public var ruleFindings = 0
    public var anomalyFindings = 0
    /// Matches and anomalous events that joined an open finding instead of raising a new alert.
    public var joined = 0
    public var incidents = 0
    public var pruned = 0
    /// Anomaly findings raised by cold-start priors (counted in `anomalyFindings` too).
    public var coldStart = 0
    /// Alerts raised inside an open finding because the match showed something new.
    public var news = 0
    /// Update alerts (folded evidence of an open incident).
    public var updates = 0
    /// Findings on failed calls (attempts), raised one severity lower.
    public var attempts = 0

    public init() {}

    /// Snapshots written before a counter existed read it as 0.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ruleFindings = try c.decodeIfPresent(Int.self, forKey: .ruleFindings) ?? 0
        anomalyFindings = try c.decodeIfPresent(Int.self, forKey: .anomalyFindings) ?? 0
        joined = try c.decodeIfPresent(Int.self, forKey: .joined) ?? 0
        incidents = try c.decodeIfPresent(Int.self, forKey: .incidents) ?? 0
        pruned = try c.decodeIfPresent(Int.self, forKey: .pruned) ?? 0
        coldStart = try c.decodeIfPresent(Int.self, forKey: .coldStart) ?? 0
        news = try c.decodeIfPresent(Int.self, forKey: .news) ?? 0
        updates = try c.decodeIfPresent(Int.self, forKey: .updates) ?? 0
        attempts = try c.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
    }
}

/// Scores + rules → findings → incidents → alerts. Synchronous and pure (event time only).
///
/// Cost per event: one dictionary lookup for the rules of its action, O(1) per matching rule
/// (burst windows are deques), plus an explanation only when a finding is raised.
public struct Detector {
    public let config: DetectorConfig
    public let rules: RuleSet
    /// The rules naming each action, by the action's key (``KeyIndex``): `ruleActions[i]` is the
    /// action and `actionRules[i]` its rules, in rule order.
    var byAction = KeyIndex()
    var ruleActions: [String] = []
    var actionRules: [[Int]] = []
    var wideRules: [Int] = []
    /// Sigma rules by the format of the records they see.
    var sigmaIndex: [SourceFormat: SigmaIndex] = [:]
    var bursts: [BurstKey: BurstState] = [:]
    var anomalyOpen: [String: Int64] = [:]
    /// Holds (at least) the keys of `anomalyOpen`'s principals, so the per-event "is one open for
    /// this principal?" is a bit test for nearly every event (``KeyFilter``); rebuilt on prune.
    var anomalyFilter = KeyFilter()
    var incidents: [String: IncidentState] = [:]
    /// Compute sessions' temporary keys and the network each is bound to.
    var credentials = CredentialBinding()
    /// Log sources and when each last delivered.
    var silence = SilenceWatch()
    /// Young principals' cold-start alerts so far (one per distinct action).
    var coldStart = ColdStartWatch()
    /// Folded evidence waiting for its incident's update alert.
    var updates = IncidentUpdates()
    /// Suspect principals' first high-impact calls alerted in their open anomaly finding (hashes).
    var suspectCalls: [String: [UInt64]] = [:]
    var newest: Int64 = Int64.min
    var sincePrune = 0
    public internal(set) var counters = DetectorCounters()

    public init(config: DetectorConfig, rules: RuleSet) {
        self.config = config
        self.rules = rules
        for (i, r) in rules.rules.enumerated() {
            if let s = r.sigma {
                for f in Set(s.sources.map(\.format)) { sigmaIndex[f, default: SigmaIndex()].add(i, s) }
                continue
            }
            if r.actions.isEmpty || r.actions.contains(where: { $0.hasSuffix("*") }) {
                wideRules.append(i)
            } else {
                for a in r.actions {
                    let key = StableHash.fnv1a(a)
                    if let j = byAction.find(key, where: { ruleActions[$0] == a }) {
                        actionRules[j].append(i)
                    } else {
                        byAction.insert(key, ruleActions.count)
                        ruleActions.append(a)
                        actionRules.append([i])
                    }
                }
            }
        }
        for f in sigmaIndex.keys { sigmaIndex[f]!.finish() }
    }

    /// Processes one scored event. `attribution` (each feature's share of the isolation) and
    /// `windowIDs` (the IDs of the principal's newest short-window events, oldest first; the window's
    /// size is `fv.context.windowEvents`) are evaluated only when an
    /// anomaly finding is raised: explaining a score costs a second walk of the forest, and most
    /// events that score high join a finding already open.
    public mutating func process(_ e: AccessEvent, features fv: FeatureVector, score: Double,
                                 attribution: @autoclosure () -> [Double], windowIDs: () -> [String]) -> Detection {
        var out = Detection()
        newest = max(newest, e.time)
        // Made on the first rule that inspects the record: a view holds a copy of the event, and
        // copying an event retains each of its Strings.
        var view: RecordView?
        // The action's own rules, then the wide ones: two passes rather than a concatenated array
        // per event (same order, nothing allocated).
        let action = e.action
        let specific = byAction.find(e.identity.action, where: { ruleActions[$0] == action }).map { actionRules[$0] } ?? []
        for pass in 0..<2 { for i in pass == 0 ? specific : wideRules {
            let r = rules.rules[i]
            guard r.matchesAction(e.action), r.matchesOutcome(e.outcome) else { continue }
            if r.firstUse && fv.context.actionLastSeen != nil { continue }
            if !r.principalTypes.isEmpty && !r.principalTypes.contains(e.principalType) { continue }
            if let c = r.condition {
                if view == nil { view = RecordView(e) }
                if !c.holds(&view!) { continue }
            }
            var weight = 1
            if let f = r.countField {
                if view == nil { view = RecordView(e) }
                weight = max(1, view!.values(f).count)
            }
            var target: [String] = []
            if let t = r.target {
                if view == nil { view = RecordView(e) }
                target = view!.values(t).compactMap(RecordView.text)
            }
            switch ruleHit(i, r, e, fv, score, weight: weight, target: target) {
            case .counted:
                continue
            case .joined:
                fold(e, finding: r.id, kind: .rule, severity: r.severity(for: e.outcome), attack: r.attack, score: score)
            case .fired(let f):
                out.alerts.append(assign(f))
            }
            out.ruleMatched = true
            if r.severity(for: e.outcome) >= .high { out.severe = true }
        } }
        if let index = sigmaIndex[e.source] { sigma(index, e, fv, score, &out) }
        for (source, limit) in silence.observe(e, watermark: newest, factor: config.silenceFactor, floor: config.silenceFloor) {
            out.alerts.append(assign(silenceFinding(source, limit: limit, at: e)))
        }
        if e.accessKeyID != nil, let hit = credentials.observe(e, ranges: rules.awsRanges) {
            counters.ruleFindings += 1
            out.alerts.append(assign(credentialFinding(e, fv, score, hit)))
            out.ruleMatched = true
            out.severe = true
        }
        let threshold = config.threshold(learned: fv.context.learnedEvents)
        if score >= config.anomalyThreshold { out.anomalous = true }
        var anomalyRaised = false
        // The corroboration sum is only needed for events that score high enough (most do not).
        if score >= threshold && Feature.allCases.reduce(0.0, { $0 + Explainer.weight($1, fv) }) >= config.minSignal {
            anomalyRaised = true
            if let last = openAnomaly(e), e.time - last <= config.anomalyCooldown, e.time >= last {
                markAnomaly(e)
                if !out.ruleMatched, let f = suspectCall(e, fv, score, window: windowIDs) {
                    out.alerts.append(assign(f))
                } else {
                    counters.joined += 1
                    fold(e, finding: "anomaly", kind: .anomaly, severity: score >= 0.85 ? .high : (score >= 0.78 ? .medium : .low),
                         attack: [], score: score)
                }
            } else {
                markAnomaly(e)
                let f = anomalyFinding(e, fv, score, attribution(), windowIDs())
                if f.severity >= .high { out.severe = true }
                counters.anomalyFindings += 1
                out.alerts.append(assign(f))
            }
        }
        // Cold start: a young principal's first high-impact calls, by their priors (rules speak first).
        if !anomalyRaised, !out.ruleMatched, let hit = coldStart.observe(e, fv, priors: rules.priors, maturity: config.maturityEvents) {
            let f = coldStartFinding(e, fv, score, hit.category, strength: hit.strength, window: windowIDs())
            markAnomaly(e)
            out.anomalous = true
            if f.severity >= .high { out.severe = true }
            counters.anomalyFindings += 1
            counters.coldStart += 1
            out.alerts.append(assign(f))
        }
        if let last = openAnomaly(e), e.time >= last, e.time - last <= config.anomalyCooldown {
            out.suspect = true
            // Held as suspect: its novel high-impact calls alert rather than wait silently.
            if !anomalyRaised, !out.ruleMatched, out.alerts.isEmpty, let f = suspectCall(e, fv, score, window: windowIDs) {
                out.anomalous = true
                out.alerts.append(assign(f))
            }
        }
        // Findings about the event's principal name who is behind it; a silent source has no actor.
        if !out.alerts.isEmpty, let actor = e.resolvedActor {
            for i in out.alerts.indices where out.alerts[i].finding.kind != .silence { out.alerts[i].finding.actor = actor }
        }
        out.updates = dueUpdates()
        counters.updates += out.updates.count
        sincePrune += 1
        if sincePrune >= 4096 || bursts.count + anomalyOpen.count + incidents.count > config.maxTracked { prune() }
        return out
    }

    /// Log sources watched for silence, sources beyond its cap, and compute credentials bound.
    public var watchCounts: (sources: Int, untracked: Int, credentials: Int) {
        (silence.sources.count, silence.untracked, credentials.keys.count)
    }

    /// Incidents still open at event time `now`: their last alert within the incident gap, so a new
    /// finding of the principal would join them. O(incidents tracked), bounded by `maxTracked`;
    /// for metrics, called once per pass, never per event.
    public func openIncidents(at now: Int64) -> Int {
        incidents.values.reduce(0) { $0 + (now - $1.last <= config.incidentGap ? 1 : 0) }
    }

    /// Raises a finding made outside the detector (model drift), through the same incident grouping.
    public mutating func raise(_ f: Finding) -> Alert {
        assign(f)
    }

    /// Gives a finding its incident: the open incident of its principal if recent enough.
    mutating func assign(_ f: Finding) -> Alert {
        if f.kind != .silence { updates.reported(f.principal, at: f.time) }
        if var inc = incidents[f.principal], f.time - inc.last <= config.incidentGap {
            inc.last = max(inc.last, f.time)
            incidents[f.principal] = inc
            return Alert(finding: f, incident: inc.id)
        }
        let a = Alert(finding: f, incident: nil)
        incidents[f.principal] = IncidentState(id: a.id, last: f.time)
        counters.incidents += 1
        return a
    }

    /// When the principal's anomaly finding was last extended, if one is remembered.
    @inline(__always) func openAnomaly(_ e: AccessEvent) -> Int64? {
        anomalyFilter.mayContain(e.identity.principal) ? anomalyOpen[e.principal] : nil
    }

    /// Opens or extends the principal's anomaly finding at the event's time.
    mutating func markAnomaly(_ e: AccessEvent) {
        if let last = anomalyOpen[e.principal], e.time - last > config.anomalyCooldown { suspectCalls[e.principal] = nil }
        anomalyOpen[e.principal] = e.time
        anomalyFilter.insert(e.identity.principal)
    }

    /// Makes the filter hold exactly the principals of `anomalyOpen` again (after removals).
    mutating func rebuildAnomalyFilter() {
        anomalyFilter.removeAll()
        for p in anomalyOpen.keys { anomalyFilter.insert(StableHash.fnv1a(p)) }
    }

    /// Drops state that event time has left behind (and the stalest beyond the cap).
    mutating func prune() {
        defer { rebuildAnomalyFilter() }
        sincePrune = 0
        let horizon = newest - max(config.anomalyCooldown, config.incidentGap, 24 * EventTime.hour)
        let before = bursts.count + anomalyOpen.count + incidents.count
        bursts = bursts.filter { $0.value.last >= horizon }
        anomalyOpen = anomalyOpen.filter { $0.value >= horizon }
        coldStart.prune(before: horizon)
        updates.prune(before: horizon)
        suspectCalls = suspectCalls.filter { anomalyOpen[$0.key] != nil }
        incidents = incidents.filter { $0.value.last >= horizon }
        let tracked = bursts.count + anomalyOpen.count + incidents.count
        if tracked > config.maxTracked {
            // Still over the cap inside the horizon (a flood of principals with findings): drop the
            // stalest down to three quarters of the cap, so this O(n log n) pass runs once per
            // quarter-cap of new entries, not once per event.
            var times = bursts.values.map(\.last) + Array(anomalyOpen.values) + incidents.values.map(\.last)
            times.sort()
            let cutoff = times[tracked - config.maxTracked * 3 / 4 - 1]
            bursts = bursts.filter { $0.value.last > cutoff }
            anomalyOpen = anomalyOpen.filter { $0.value > cutoff }
            incidents = incidents.filter { $0.value.last > cutoff }
        }
        counters.pruned += before - (bursts.count + anomalyOpen.count + incidents.count)
        counters.pruned += credentials.prune(newest: newest)
    }
}

/// What a rule match amounted to.
enum RuleHit {
    /// Counted towards the rule's threshold, no finding yet.
    case counted
    /// Joined the finding this rule already raised for the principal.
    case joined
    /// Raised a new finding.
    case fired(Finding)
}

struct BurstKey: Hashable, Sendable, Codable {
    var rule: Int
    var principal: String
}

/// One rule match waiting in a burst window.
struct Hit: Sendable, Codable {
    var time: Int64
    var id: String
    var weight: Int
}

struct BurstState: Sendable, Codable {
    var hits: Deque<Hit> = []
    /// Sum of the hits' weights (the count compared with the threshold).
    var total = 0
    /// When the principal last used the action before the first hit in the window (nil: never).
    var priorUse: Int64?
    var firstWasNew = false
    /// Matches up to this time join the finding already raised.
    var quietUntil: Int64 = Int64.min
    var last: Int64 = Int64.min
    /// Actions already alerted since the rule last fired for the principal (single-event rules):
    /// a match with another action inside the quiet period is a new alert of the same incident, a
    /// repeat joins. At most `BurstState.alertedCap`; nil in checkpoints written before it existed.
    var alerted: [String]?
    /// Beyond this many alerts in one quiet period, further news joins (bounded state, and a cap on
    /// alerts one rule can raise for one principal per period).
    static let alertedCap = 32
    /// What this period's alerts showed (``MatchFacets`` keys); nil in checkpoints written before it.
    var shown: [UInt64]?
    /// Alerts raised in this quiet period beyond the first (news).
    var newsAlerts: Int?
    /// Burst rules: matches inside the quiet period that show something new, counted towards a burst
    /// of their own (its weight, its first time, its events newest last).
    var novelTotal: Int?
    var novelSince: Int64?
    var novelIDs: [String]?
}

struct IncidentState: Sendable, Codable {
    var id: String
    var last: Int64
}
