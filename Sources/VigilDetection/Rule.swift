import VigilCore

/// One curated high-risk-action rule, as written in `Models/rules.json`.
public struct Rule: Decodable, Sendable {
    public var id: String
    public var title: String
    public var severity: Severity
    /// MITRE ATT&CK technique IDs.
    public var attack: [String]
    /// `service:Operation` names; a trailing `*` matches a prefix. Empty: any action.
    public var actions: [String]
    /// Principal types the rule applies to (`Root`, `IAMUser`, ...). Empty: any.
    public var principalTypes: [String]
    /// Which outcomes count: `success` (default), `failure` (denied or error) or `any`.
    public var outcome: String
    /// Attempts count: with outcome `success`, a failed call (denied, or an error) matches too, and
    /// its finding is one severity step lower and says it was attempted, naming the error code.
    /// For critical actions an attacker tries before they hold the permission.
    public var attempts: Bool
    /// Fires only on the principal's first use of the action (no history of it in its baseline):
    /// for calls that are routine for the few principals that make them (SSM commands, Bedrock
    /// invocations, federation tokens) and telling for any other.
    public var firstUse: Bool
    /// Record path whose values name what the call acts on (a port, a CIDR, a layer), beside the
    /// event's resource: a match with another target inside the rule's quiet period is news, an
    /// alert of its own. Nil: the resource alone.
    public var target: String?
    /// Conditions on the raw record (dotted paths), or on `$actor`, `$account`, `$principal` ...
    public var condition: Condition?
    /// Fire only when this many matching events fall within `window`.
    public var threshold: Int
    /// When set, a match counts as the number of values at this record path (at least 1): one
    /// `GetParameters` naming 10 parameters counts 10 towards the threshold.
    public var countField: String?
    public var window: Int64
    /// After firing, further matches by the same principal within this span join the finding.
    public var dedupe: Int64
    /// Reason sentence; `{count}`, `{window}`, `{resource}`, `{actor}`, `{action}`, `{operation}`,
    /// `{ip}`, `{principal}` are filled in.
    public var text: String
    /// Set for rules loaded from Sigma: the compiled rule that decides matches (actions, outcome
    /// and condition above are then unused).
    public var sigma: SigmaRule?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, title, severity, attack, actions, principalTypes, outcome, attempts, firstUse, target, `where`, threshold, countField
        case window, dedupe, text
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        title = try c.decode(String.self, forKey: .title)
        let sev = try c.decode(String.self, forKey: .severity)
        guard let s = Severity(name: sev) else { throw ConfigError.invalid("rule \(id): unknown severity \(sev)") }
        severity = s
        attack = try c.decodeIfPresent([String].self, forKey: .attack) ?? []
        actions = try c.decodeIfPresent([String].self, forKey: .actions) ?? []
        principalTypes = try c.decodeIfPresent([String].self, forKey: .principalTypes) ?? []
        outcome = try c.decodeIfPresent(String.self, forKey: .outcome) ?? "success"
        attempts = try c.decodeIfPresent(Bool.self, forKey: .attempts) ?? false
        firstUse = try c.decodeIfPresent(Bool.self, forKey: .firstUse) ?? false
        target = try c.decodeIfPresent(String.self, forKey: .target)
        condition = try c.decodeIfPresent(Condition.self, forKey: .where)
        threshold = try c.decodeIfPresent(Int.self, forKey: .threshold) ?? 1
        countField = try c.decodeIfPresent(String.self, forKey: .countField)
        let w = try c.decodeIfPresent(String.self, forKey: .window) ?? "10m"
        let d = try c.decodeIfPresent(String.self, forKey: .dedupe) ?? "60m"
        guard let wv = EventTime.parseDuration(w), let dv = EventTime.parseDuration(d) else {
            throw ConfigError.invalid("rule \(id): bad window/dedupe duration")
        }
        window = wv
        dedupe = dv
        text = try c.decodeIfPresent(String.self, forKey: .text) ?? title
        try UnknownKeys.reject(decoder, known: CodingKeys.self)
        try validate()
    }

    /// A Sigma rule as a Vigil rule: one match fires (threshold 1), later matches by the same
    /// principal within `dedupe` join its finding, as for built-in rules.
    public init(sigma s: SigmaRule, dedupe: Int64 = 60 * EventTime.minute) {
        id = "sigma:" + s.id
        title = s.title
        severity = s.level
        attack = s.attack
        actions = []
        principalTypes = []
        outcome = "any"
        attempts = false
        firstUse = false
        target = nil
        condition = nil
        threshold = 1
        countField = nil
        window = 10 * EventTime.minute
        self.dedupe = dedupe
        text = s.title
        sigma = s
    }

    public func validate() throws {
        guard ["success", "failure", "any"].contains(outcome) else { throw ConfigError.invalid("rule \(id): outcome must be success|failure|any") }
        if attempts && outcome != "success" { throw ConfigError.invalid("rule \(id): attempts needs outcome success (failures then match one severity lower)") }
        if target.map({ !$0.hasPrefix("$") }) == true, actions.isEmpty || actions.contains(where: { $0.hasSuffix("*") }) {
            throw ConfigError.invalid("rule \(id): a target on record fields needs exact action names")
        }
        guard threshold >= 1, threshold <= 100_000 else { throw ConfigError.invalid("rule \(id): threshold must be 1…100000") }
        if condition?.needsRecord == true || (countField.map { !$0.hasPrefix("$") } ?? false), actions.isEmpty || actions.contains(where: { $0.hasSuffix("*") }) {
            throw ConfigError.invalid("rule \(id): conditions on record fields need exact action names")
        }
        for a in attack where !(a.hasPrefix("T") && a.dropFirst().allSatisfy { $0.isNumber || $0 == "." }) {
            throw ConfigError.invalid("rule \(id): \(a) is not an ATT&CK technique ID")
        }
    }

    /// Does the action match one of `actions` (exact, or prefix before a trailing `*`)?
    public func matchesAction(_ action: String) -> Bool {
        if actions.isEmpty { return true }
        for a in actions {
            if a.hasSuffix("*") { if action.hasPrefix(a.dropLast()) { return true } } else if a == action { return true }
        }
        return false
    }

    func matchesOutcome(_ o: Outcome) -> Bool {
        switch outcome {
        case "any": return true
        case "failure": return o != .success
        default: return o == .success || attempts
        }
    }

    /// A rule about the caller rather than specific actions (no action list, or a prefix).
    var isWide: Bool { actions.isEmpty || actions.contains { $0.hasSuffix("*") } }

    /// True when this match is an attempt: a failed call matched only because attempts count.
    func isAttempt(_ o: Outcome) -> Bool { attempts && o != .success }

    /// The severity of a match: one step lower for an attempt (never below info).
    func severity(for o: Outcome) -> Severity {
        isAttempt(o) ? severity.oneLower : severity
    }
}

/// The rules in force, loaded from JSON `{"rules":[...]}` and checked for duplicate IDs.
public struct RuleSet: Sendable {
    public var rules: [Rule]
    /// Cold-start priors (`Models/priors.json`); empty: no cold-start alerts.
    public var priors: ActionPriors = .none
    /// AWS's published address ranges (`Models/aws-ip-ranges.txt`); nil: compute credentials are
    /// not checked against them (only against the network they were first used from).
    public var awsRanges: AddressRanges?

    public init(rules: [Rule]) { self.rules = rules }

    public static func load(json: [UInt8]) throws -> RuleSet {
        struct File: Decodable {
            var version: Int
            var rules: [Rule]
        }
        let f: File
        do {
            f = try JSONDecoding.decode(File.self, from: json)
        } catch let e as ConfigError {
            throw e
        } catch {
            throw ConfigError.invalid("rules file: \(error)")
        }
        guard f.version == 1 else { throw ConfigError.invalid("rules file: unsupported version \(f.version)") }
        var seen = Set<String>()
        for r in f.rules {
            guard seen.insert(r.id).inserted else { throw ConfigError.invalid("rules file: duplicate rule id \(r.id)") }
        }
        return RuleSet(rules: f.rules)
    }

    /// Actions whose raw record some rule inspects: the parser keeps those bytes.
    public var detailActions: Set<String> {
        var s = Set<String>()
        for r in rules where r.condition?.needsRecord == true || r.countField != nil || r.target.map({ !$0.hasPrefix("$") }) == true {
            s.formUnion(r.actions)
        }
        return s
    }

    /// Formats whose every record some Sigma rule reads: the parser keeps their raw bytes.
    public var rawFormats: Set<SourceFormat> {
        Set(rules.compactMap(\.sigma).flatMap { $0.sources.map(\.format) })
    }
}
