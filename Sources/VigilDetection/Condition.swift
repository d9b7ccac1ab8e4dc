import VigilCore

/// A test on an event's raw record, written as JSON in a rule's `where`.
///
/// Forms: `{"all":[…]}`, `{"any":[…]}`, `{"not":{…}}`, or a leaf `{"field":"path", OP: value}` with
/// OP one of `equals`, `notEquals`, `contains`, `startsWith`, `in`, `exists`, `equalsField`,
/// `notEqualsField`, `containsAny` (a list; case-insensitive), `startsWithAny` (a list),
/// `publicPolicy` (an Allow to `*` without Condition), `grantsFullAccess` (an IAM policy allowing
/// every action, or all but a few with `NotAction`, on every resource), `trustsOutsideAccount`
/// (an Allow to `*` or to an AWS principal of another account, conditions notwithstanding),
/// `atLeast` (a number: some value at the path, read as a number, is at least it),
/// `notContainsField` (some value at the path contains none of the other field's values: a
/// layer ARN that does not name the caller's own `$account`). Paths are dotted and fan out over arrays; a leaf holds when
/// *any* value at the path passes (`notEquals` and `notEqualsField`: when *no* value equals).
/// Fields starting with `$` are the event's own: `$actor`, `$account`, `$principal`,
/// `$principalType`, `$action`, `$errorCode`, `$userAgent`, `$sourceIP` (no raw record needed).
public indirect enum Condition: Decodable, Sendable {
    case all([Condition])
    case any([Condition])
    case not(Condition)
    case leaf(field: String, op: Op, value: LeafValue)

    public enum Op: String, Sendable, CaseIterable {
        case equals, notEquals, contains, startsWith, `in`, exists, equalsField, notEqualsField, publicPolicy
        case trustsOutsideAccount, containsAny, startsWithAny, grantsFullAccess, atLeast, notContainsField
    }

    public enum LeafValue: Sendable {
        case string(String)
        case strings([String])
        case bool(Bool)
        /// `atLeast`'s bound.
        case number(Double)
        /// `containsAny`'s needles, lower-cased ASCII bytes, prepared once at load: the test runs on
        /// every event for rules without actions, so it must not allocate or compare Characters.
        case needles([[UInt8]])
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        let keys = Set(c.allKeys.map(\.stringValue))
        if keys == ["all"] { self = .all(try c.decode([Condition].self, forKey: AnyCodingKey(stringValue: "all"))); return }
        if keys == ["any"] { self = .any(try c.decode([Condition].self, forKey: AnyCodingKey(stringValue: "any"))); return }
        if keys == ["not"] { self = .not(try c.decode(Condition.self, forKey: AnyCodingKey(stringValue: "not"))); return }
        guard keys.contains("field"), keys.count == 2, let opName = keys.subtracting(["field"]).first,
              let op = Op(rawValue: opName) else {
            throw ConfigError.invalid("condition needs all/any/not, or field plus one of \(Op.allCases.map(\.rawValue).joined(separator: ", ")); got \(keys.sorted())")
        }
        let field = try c.decode(String.self, forKey: AnyCodingKey(stringValue: "field"))
        let k = AnyCodingKey(stringValue: opName)
        let value: LeafValue
        if op == .atLeast {
            guard let n = try? c.decode(Double.self, forKey: k) else { throw ConfigError.invalid("condition on \(field): atLeast needs a number") }
            value = .number(n)
        } else if let b = try? c.decode(Bool.self, forKey: k) {
            value = .bool(b)
        } else if let s = try? c.decode(String.self, forKey: k) {
            value = .string(s)
        } else {
            value = .strings(try c.decode([String].self, forKey: k))
        }
        if op == .containsAny, case .strings(let list) = value {
            self = .leaf(field: field, op: op, value: .needles(list.map { Array($0.lowercased().utf8) }))
            return
        }
        self = .leaf(field: field, op: op, value: value)
    }

    /// True when evaluating needs the raw record (some path does not start with `$`).
    public var needsRecord: Bool {
        switch self {
        case .all(let cs), .any(let cs): return cs.contains { $0.needsRecord }
        case .not(let c): return c.needsRecord
        case .leaf(let f, _, let v):
            if !f.hasPrefix("$") { return true }
            if case .string(let other) = v, !other.hasPrefix("$"), f.hasPrefix("$") { return false }
            return false
        }
    }
}
