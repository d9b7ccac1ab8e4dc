/// How bad a finding is. Ordered: `info` < `low` < `medium` < `high` < `critical`.
public enum Severity: Int, Sendable, Codable, Comparable, CaseIterable {
    case info, low, medium, high, critical

    public var name: String {
        switch self {
        case .info: return "info"
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        case .critical: return "critical"
        }
    }

    public init?(name: String) {
        guard let s = Severity.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = s
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }

    /// One step lower (an attempt against a success), never below `info`.
    public var oneLower: Severity { Severity(rawValue: max(0, rawValue - 1)) ?? self }
}

/// Whether a finding came from the isolation score, a curated rule, or a log source gone quiet.
public enum FindingKind: String, Sendable, Codable {
    case anomaly
    case rule
    /// A log source that stopped delivering while the others went on (`principal` = `source:<key>`).
    case silence
}

/// One plain-words reason: which feature, its value, the principal's usual value, and a sentence.
public struct Reason: Sendable, Equatable, Codable {
    public var feature: String
    public var value: Double
    public var baseline: Double
    public var text: String

    public init(feature: String, value: Double, baseline: Double, text: String) {
        self.feature = feature
        self.value = value
        self.baseline = baseline
        self.text = text
    }
}

/// A detector's output before incident grouping: what, who, when, why, and the evidence.
public struct Finding: Sendable {
    public var kind: FindingKind
    /// Rule ID for rule findings; `nil` for anomalies.
    public var rule: String?
    public var principal: String
    /// Who the principal's credentials trace back to (see ``ActorChain``), when known.
    public var actor: ActorChain?
    public var source: SourceFormat
    /// Time of the triggering event.
    public var time: Int64
    public var score: Double
    public var severity: Severity
    public var attack: [String]
    public var title: String
    public var reasons: [Reason]
    /// Evidence event IDs, most telling first (capped at ``Limits/alertEvidence``).
    public var events: [String]
    public var eventsTotal: Int
    /// An update alert: what an open incident folded since its last alert (same-shape repeats),
    /// with those events as evidence. Written as `"update":true`; absent otherwise.
    public var update = false

    public init(kind: FindingKind, rule: String?, principal: String, source: SourceFormat, time: Int64,
                score: Double, severity: Severity, attack: [String], title: String, reasons: [Reason],
                events: [String], eventsTotal: Int) {
        self.kind = kind
        self.rule = rule
        self.principal = principal
        self.source = source
        self.time = time
        self.score = score
        self.severity = severity
        self.attack = attack
        self.title = title
        self.reasons = reasons
        self.events = events
        self.eventsTotal = eventsTotal
    }
}
