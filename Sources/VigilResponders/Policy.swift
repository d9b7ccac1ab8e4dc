import Foundation
import VigilCore
import Yams

/// A quarantine policy (`--policy PATH`, YAML): which findings trigger which action, who is never
/// touched, how many actions an hour at most, how recent a finding must be, and when actions are
/// undone. See `Models/policy-aws-example.yaml`.
///
/// ```yaml
/// version: 1
/// recent_minutes: 60          # --enforce acts only on findings whose event time is this recent
/// max_actions_per_hour: 5     # across all principals; further triggers are recorded, not run
/// ttl_minutes: 240            # then the action's release command runs
/// allow:                      # principals never touched (break-glass); `*` matches any run of characters
///   - "arn:aws:iam::*:role/BreakGlass*"
/// evidence_retention_days: 30 # quarantine files (STATE/quarantine/) older than this are removed
/// triggers:                   # first match wins
///   - severities: [critical, high]
///     kinds: [rule]           # optional: rule | anomaly
///     rules: [cloudtrail-logging-stopped]   # optional
///     action: aws-deny
/// actions:
///   aws-deny:
///     command: [Models/actions/aws-quarantine.sh, quarantine]   # never run through a shell
///     release: [Models/actions/aws-quarantine.sh, release]
///     timeout_seconds: 60
/// ```
public struct Policy: Decodable, Sendable {
    public struct Trigger: Decodable, Sendable {
        public var severities: [String]?
        public var kinds: [String]?
        public var rules: [String]?
        public var action: String
        enum CodingKeys: String, CodingKey, CaseIterable { case severities, kinds, rules, action }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            severities = try c.decodeIfPresent([String].self, forKey: .severities)
            kinds = try c.decodeIfPresent([String].self, forKey: .kinds)
            rules = try c.decodeIfPresent([String].self, forKey: .rules)
            action = try c.decode(String.self, forKey: .action)
            try UnknownKeys.reject(decoder, known: CodingKeys.self)
            for s in severities ?? [] where Severity(name: s) == nil { throw ConfigError.invalid("unknown severity '\(s)'") }
            for k in kinds ?? [] where FindingKind(rawValue: k) == nil { throw ConfigError.invalid("unknown kind '\(k)' (rule or anomaly)") }
        }

        func matches(_ a: Alert) -> Bool {
            let f = a.finding
            if let s = severities, !s.contains(f.severity.name) { return false }
            if let k = kinds, !k.contains(f.kind.rawValue) { return false }
            if let r = rules, !r.contains(f.rule ?? "") { return false }
            return true
        }
    }

    public struct Action: Decodable, Sendable {
        public var command: [String]
        public var release: [String]?
        public var timeoutSeconds: Double
        enum CodingKeys: String, CodingKey, CaseIterable { case command, release, timeoutSeconds = "timeout_seconds" }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            command = try c.decode([String].self, forKey: .command)
            release = try c.decodeIfPresent([String].self, forKey: .release)
            timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? 60
            try UnknownKeys.reject(decoder, known: CodingKeys.self)
            guard !command.isEmpty, release?.isEmpty != true else { throw ConfigError.invalid("an action's command and release must name a program") }
        }
    }

    public var version: Int
    public var recentMinutes: Double
    public var maxActionsPerHour: Int
    public var ttlMinutes: Double
    public var allow: [String]
    public var evidenceRetentionDays: Double
    public var triggers: [Trigger]
    public var actions: [String: Action]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, recentMinutes = "recent_minutes", maxActionsPerHour = "max_actions_per_hour", ttlMinutes = "ttl_minutes"
        case allow, evidenceRetentionDays = "evidence_retention_days", triggers, actions
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        guard version == 1 else { throw ConfigError.invalid("policy version \(version) is not supported (1 is)") }
        recentMinutes = try c.decodeIfPresent(Double.self, forKey: .recentMinutes) ?? 60
        maxActionsPerHour = try c.decodeIfPresent(Int.self, forKey: .maxActionsPerHour) ?? 5
        ttlMinutes = try c.decodeIfPresent(Double.self, forKey: .ttlMinutes) ?? 240
        allow = try c.decodeIfPresent([String].self, forKey: .allow) ?? []
        evidenceRetentionDays = try c.decodeIfPresent(Double.self, forKey: .evidenceRetentionDays) ?? 30
        triggers = try c.decodeIfPresent([Trigger].self, forKey: .triggers) ?? []
        actions = try c.decodeIfPresent([String: Action].self, forKey: .actions) ?? [:]
        try UnknownKeys.reject(decoder, known: CodingKeys.self)
        for t in triggers where actions[t.action] == nil { throw ConfigError.invalid("trigger names action '\(t.action)', which is not defined") }
        guard recentMinutes > 0, maxActionsPerHour >= 0, ttlMinutes > 0, evidenceRetentionDays > 0 else {
            throw ConfigError.invalid("policy limits must be positive")
        }
    }

    /// Loads a policy after checking that it, and every program it names, can be changed by their
    /// owner only.
    public static func load(_ path: String) throws -> Policy {
        try TrustedFile.check(path, what: "policy")
        guard let data = FileManager.default.contents(atPath: path) else { throw ResponderError.insecure(path, "cannot read policy") }
        let p: Policy
        do {
            p = try YAMLDecoder().decode(Policy.self, from: String(decoding: data, as: UTF8.self))
        } catch {
            throw ResponderError.insecure(path, "not a usable policy: \(TrustedFile.describe(error))")
        }
        for (_, a) in p.actions {
            for program in [a.command.first, a.release?.first].compactMap({ $0 }) where program.contains("/") {
                try TrustedFile.check(program, what: "action command")
            }
        }
        return p
    }

    /// Decodes policy text (no file checks; `load` is what the CLI uses).
    public static func decode(_ text: String) throws -> Policy {
        try YAMLDecoder().decode(Policy.self, from: text)
    }

    public func isAllowlisted(_ principal: String) -> Bool {
        allow.contains { Policy.glob($0, principal) }
    }

    /// `*` matches any run of characters; everything else literally.
    static func glob(_ pattern: String, _ s: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { return pattern == s }
        guard s.hasPrefix(parts[0]) else { return false }
        var rest = s.dropFirst(parts[0].count)
        for (i, p) in parts.enumerated().dropFirst() {
            if i == parts.count - 1 { return p.isEmpty || rest.hasSuffix(p) }
            guard let r = rest.range(of: p) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }

    public func trigger(for a: Alert) -> Trigger? { triggers.first { $0.matches(a) } }
}
