import VigilCore

/// A Sigma rule compiled for Vigil: which records it sees, and its detection as a tree of tests on
/// raw record fields.
///
/// Why compiled: a Sigma rule is YAML written for many backends; here it becomes plain values
/// (byte patterns, record paths already mapped for its logsource), so evaluating it costs about
/// what a built-in rule costs. Built by the `VigilSigma` loader; evaluated by the ``Detector``
/// beside the built-in rules, through the same burst/dedupe and incident grouping.
public struct SigmaRule: Sendable {
    /// The rule's `id` (a UUID); alerts name it `sigma:<id>`.
    public var id: String
    public var title: String
    public var author: String
    /// The rule's `license`, or the Detection Rule License that SigmaHQ's rules carry.
    public var license: String
    public var status: String
    public var level: Severity
    /// ATT&CK technique IDs from the `attack.tNNNN[.NNN]` tags, upper case.
    public var attack: [String]
    /// The file it came from (for `vigil rules check` and reasons).
    public var path: String
    /// The records it sees: its logsource, resolved to Vigil's formats.
    public var sources: [SigmaSource]
    /// Named selections, in file order; ``SigmaExpr/selection(_:)`` indexes this.
    public var selections: [SigmaSelection]
    public var condition: SigmaExpr
    /// Lower-cased CloudTrail `eventName`s of which the record must have one for the rule to hold
    /// (nil: the rule can hold for any event name). Lets the detector skip the rule on other events.
    public var eventNames: Set<String>?
    /// Likewise for CloudTrail's `userIdentity.type` (the event's `principalType`), for rules that
    /// name no event.
    public var principalTypes: Set<String>?

    /// `(rule by AUTHOR; LICENSE)`: what every alert of the rule carries, as its licence asks.
    public var attribution: String { "(rule by \(author.isEmpty ? "unknown author" : author); \(license))" }

    public init(id: String, title: String, author: String, license: String = "Detection Rule License 1.1", status: String, level: Severity, attack: [String],
                path: String, sources: [SigmaSource], selections: [SigmaSelection], condition: SigmaExpr,
                eventNames: Set<String>?) {
        self.id = id
        self.title = title
        self.author = author
        self.license = license
        self.status = status
        self.level = level
        self.attack = attack
        self.path = path
        self.sources = sources
        self.selections = selections
        self.condition = condition
        self.eventNames = eventNames
    }

    /// Does the rule see records of this format (and, where the logsource names categories, of this
    /// record's category)?
    public func sees(_ format: SourceFormat, _ record: inout SigmaRecord) -> Bool {
        for s in sources where s.format == format {
            if s.categories.isEmpty { return true }
            var listed = false
            for v in record.values(s.categoryPath) {
                if let t = record.string(v), s.categories.contains(t.lowercased()) { listed = true; break }
            }
            if listed != s.excludeCategories { return true }
        }
        return false
    }
}

/// One Vigil record stream a Sigma logsource stands for: a format and, optionally, the values of a
/// category field (Entra sign-in and audit records share a format; `category` tells them apart).
public struct SigmaSource: Sendable, Equatable {
    public var format: SourceFormat
    /// Lower-cased accepted values of `categoryPath`; empty: every record of the format.
    public var categories: Set<String>
    public var categoryPath: SigmaPath
    /// The records are those whose category is *not* listed (Entra audit: all but sign-ins).
    public var excludeCategories: Bool

    public init(format: SourceFormat, categories: Set<String> = [], excludeCategories: Bool = false,
                categoryPath: SigmaPath = SigmaPath("category", caseInsensitive: true)) {
        self.format = format
        self.categories = categories
        self.excludeCategories = excludeCategories
        self.categoryPath = categoryPath
    }
}

/// A Sigma condition, parsed: `and`, `or`, `not` over named selections (`1 of x*` and `all of them`
/// are expanded into `or`/`and` at load).
public indirect enum SigmaExpr: Sendable {
    case and([SigmaExpr])
    case or([SigmaExpr])
    case not(SigmaExpr)
    case selection(Int)
}

/// One named selection: a list of maps (OR) of field tests (AND), or keywords searched in the
/// whole record.
public struct SigmaSelection: Sendable {
    public var name: String
    /// OR over groups; within a group every test must hold. Empty when this is a keyword selection.
    public var groups: [[SigmaFieldTest]]
    /// Keyword patterns (OR), matched against the record's whole text.
    public var keywords: [SigmaPattern]
    /// `|all` on a keyword list: every keyword must appear.
    public var allKeywords: Bool

    public init(name: String, groups: [[SigmaFieldTest]] = [], keywords: [SigmaPattern] = [], allKeywords: Bool = false) {
        self.name = name
        self.groups = groups
        self.keywords = keywords
        self.allKeywords = allKeywords
    }
}

/// `field|modifiers: values` compiled: the record path(s) of the field and one matcher per value.
public struct SigmaFieldTest: Sendable {
    /// The field as the rule names it (for reasons).
    public var field: String
    /// Record paths the field maps to, tried in order: the first that yields values is used.
    public var paths: [SigmaPath]
    public var matchers: [SigmaMatcher]
    /// `|all`: every matcher must hold (default: any).
    public var all: Bool

    public init(field: String, paths: [SigmaPath], matchers: [SigmaMatcher], all: Bool) {
        self.field = field
        self.paths = paths
        self.matchers = matchers
        self.all = all
    }
}

/// One value test of a field.
public enum SigmaMatcher: Sendable {
    /// Some value matches the pattern (wildcards `*` and `?`; `contains`/`startswith`/`endswith`
    /// become wildcards at load).
    case pattern(SigmaPattern)
    /// The field is absent or null (`field: null`).
    case null
    /// `|exists: true/false`.
    case exists(Bool)
    /// `|re`: some value matches the regular expression (search, not whole-string).
    case regex(SigmaRegex)
    /// `|cidr`: some value is an IP address inside the network.
    case cidr(SigmaCIDR)
    /// `|gt`, `|gte`, `|lt`, `|lte`: some value is a number that compares so.
    case compare(SigmaComparison, Double)
    /// `|fieldref`: some value equals a value of the other field.
    case fieldref([SigmaPath])
}

public enum SigmaComparison: String, Sendable {
    case gt, gte, lt, lte
}
