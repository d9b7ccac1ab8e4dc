import VigilCore

/// Cold-start priors at work: a young principal's first high-impact calls, scored by what the call
/// can do rather than by a history it does not have yet.
///
/// Why: replayed alone, a single attack technique is all the history there is — the forest has
/// nothing to isolate the attacker's events from, and every principal is too young for its anomaly
/// threshold. `Models/priors.json` says which calls mint credentials, run code, change logging,
/// grant permissions, create identities, expose or destroy data. While a principal has learned fewer
/// than the detector's `maturityEvents`, its first use of such a call is an anomaly alert whose
/// score is the prior scaled by how young the baseline is; each distinct call is its own alert
/// (same incident), at most ``maxPerPrincipal`` per principal. The rules, when one covers the
/// event, speak instead.
struct ColdStartWatch: Codable, Sendable {
    struct Entry: Codable, Sendable {
        var last: Int64
        var actions: [UInt64]
    }

    /// Principals with cold-start alerts, and the actions alerted (hashes).
    var alerted: [String: Entry] = [:]

    /// A young principal's call must reach this (prior × youth; failures count half) to alert: the
    /// categories at 0.85 and above (logging, credentials, permissions, identities, exposure,
    /// destruction) on a principal's first events; secret reads (0.7) and code deploys (0.65), which
    /// people do on their first day at work, never on their prior alone.
    static let floor = 0.75
    static let maxPerPrincipal = 8

    /// The category and strength when `e` is a cold-start alert; records it.
    mutating func observe(_ e: AccessEvent, _ fv: FeatureVector, priors: ActionPriors, maturity: Int) -> (category: ActionPriors.Category, strength: Double)? {
        let learned = fv.context.learnedEvents
        guard maturity > 0, learned < maturity, fv[.newAction] >= 1 || learned == 0,
              let c = priors.category(of: e.action), !Self.serviceActing(e) else { return nil }
        // Youth falls from 1 (no history) to 0.5 at maturity: a 0.85 call alerts while the principal
        // has learned fewer than ~7 events, a 0.95 call fewer than ~11 (with maturity 30).
        let youth = 1 - 0.5 * Double(learned) / Double(maturity)
        let strength = priors.categories[c].prior * youth * (e.outcome == .success ? 1 : 0.5)
        guard strength >= Self.floor else { return nil }
        let key = e.identity.action
        var entry = alerted[e.principal] ?? Entry(last: e.time, actions: [])
        guard entry.actions.count < Self.maxPerPrincipal, !entry.actions.contains(key) else { return nil }
        entry.actions.append(key)
        entry.last = max(entry.last, e.time)
        alerted[e.principal] = entry
        return (priors.categories[c], strength)
    }

    /// AWS acting on the principal's behalf (CloudFormation creating a stack's users, Identity Center
    /// provisioning, `AWS Internal`): the source or client is a service name, not a person's tool.
    /// The console is a person's tool.
    static func serviceActing(_ e: AccessEvent) -> Bool {
        func service(_ s: String?) -> Bool {
            guard let s else { return false }
            return s == "AWS Internal" || s.hasPrefix("aws-internal/") || (s.hasSuffix(".amazonaws.com") && s != "console.amazonaws.com")
        }
        return service(e.sourceIP) || service(e.userAgent)
    }

    /// Forgets principals whose last cold-start alert is older than `horizon`.
    mutating func prune(before horizon: Int64) {
        alerted = alerted.filter { $0.value.last >= horizon }
    }
}

extension Detector {
    /// The cold-start anomaly: the prior's words first, then whatever else is notable.
    func coldStartFinding(_ e: AccessEvent, _ fv: FeatureVector, _ score: Double, _ c: ActionPriors.Category,
                          strength: Double, window: [String]) -> Finding {
        let blended = max(score, config.anomalyThreshold + (1 - config.anomalyThreshold) * strength)
        let learned = fv.context.learnedEvents
        let history = learned == 0 ? "no history yet" : "\(learned) event\(learned == 1 ? "" : "s") of history"
        var reasons = [Reason(feature: "prior:\(c.id)", value: (strength * 1000).rounded() / 1000, baseline: Double(learned),
                              text: "\(e.action) \(c.words) (prior \(c.prior) from Models/priors.json); this principal has \(history)")]
        for f in Feature.allCases where f != .newAction && f != .sensitivity && Explainer.isNotable(f, fv) && reasons.count < 4 {
            reasons.append(Explainer.reason(f, fv, e))
        }
        var events = [e.id]
        for id in window.reversed() where id != e.id && events.count < Limits.alertEvidence { events.append(id) }
        let who = Self.shortName(e.principal)
        return Finding(kind: .anomaly, rule: nil, principal: e.principal, source: e.source, time: e.time, score: blended,
                       severity: c.prior >= 0.9 && strength >= 0.8 ? .high : .medium, attack: c.attack,
                       title: "New principal's high-impact call: \(who) \(c.words) (\(e.operation))",
                       reasons: reasons, events: events, eventsTotal: max(fv.context.windowEvents, window.count, 1))
    }
}
