import Foundation
import VigilCore
import VigilDetection
import Yams

/// What became of one Sigma rule file.
public enum SigmaOutcome: Sendable {
    case loaded(SigmaRule)
    /// Its logsource has no Vigil records (Google Workspace, Entra risk detections, …): counted,
    /// never evaluated.
    case noSource(path: String, rule: String, logsource: String)
    /// Left out by `--sigma-status` or `--sigma-min-level`.
    case filtered(path: String, rule: String, why: String)
    case refused(SigmaRefusal)
}

/// A rule Vigil cannot run, and why (for `vigil rules check` and startup errors).
public struct SigmaRefusal: Sendable, Equatable {
    public var path: String
    /// The rule's id (or title, or "-" when the file could not be read as a rule).
    public var rule: String
    public var reason: String
}

/// Which loaded rules run: statuses (default stable and test) and a lowest level.
public struct SigmaFilter: Sendable {
    public var statuses: Set<String>?
    public var minLevel: Severity

    /// `statuses` nil: every status.
    public init(statuses: Set<String>? = ["stable", "test"], minLevel: Severity = .info) {
        self.statuses = statuses
        self.minLevel = minLevel
    }
}

/// Reads one Sigma rule (YAML) into a ``SigmaRule``, through the logsource map.
///
/// Never throws: a file that is not a rule Vigil can run comes back `.refused` with the reason, so
/// one bad file never stops the others. Correlation rules, `timeframe`, aggregations, multi-document
/// files and unknown modifiers are refused by name.
public struct SigmaLoader: Sendable {
    public let logsources: SigmaLogsources
    public let filter: SigmaFilter

    public init(logsources: SigmaLogsources, filter: SigmaFilter = SigmaFilter()) {
        self.logsources = logsources
        self.filter = filter
    }

    public func load(path: String, yaml: String) -> SigmaOutcome {
        let docs: [Node]
        do {
            var seq = try Yams.compose_all(yaml: yaml)
            var all: [Node] = []
            while let d = seq.next() { all.append(d) }
            if let e = seq.error { throw e }
            docs = all
        } catch {
            return .refused(SigmaRefusal(path: path, rule: "-", reason: "not valid YAML: \(Self.describe(error))"))
        }
        guard docs.count == 1, let doc = docs.first?.mapping else {
            let why = docs.count > 1 ? "a file of \(docs.count) YAML documents (rule collections, action: global) is not supported"
                : "not a Sigma rule (the document is not a map)"
            return .refused(SigmaRefusal(path: path, rule: "-", reason: why))
        }
        let name = doc["id"]?.scalar?.string ?? doc["title"]?.scalar?.string ?? "-"
        do {
            return try compile(doc, path: path)
        } catch let e as ConfigError {
            return .refused(SigmaRefusal(path: path, rule: name, reason: e.description))
        } catch {
            return .refused(SigmaRefusal(path: path, rule: name, reason: "\(error)"))
        }
    }

    func compile(_ doc: Node.Mapping, path: String) throws -> SigmaOutcome {
        if doc["correlation"] != nil { throw ConfigError.invalid("correlation rules are not supported") }
        guard let id = doc["id"]?.scalar?.string, !id.isEmpty else { throw ConfigError.invalid("the rule has no id") }
        guard let title = doc["title"]?.scalar?.string else { throw ConfigError.invalid("the rule has no title") }
        let status = doc["status"]?.scalar?.string.lowercased() ?? "experimental"
        let levelName = doc["level"]?.scalar?.string.lowercased() ?? "medium"
        guard let level = Self.severity(levelName) else { throw ConfigError.invalid("unknown level '\(levelName)'") }
        guard let ls = doc["logsource"]?.mapping else { throw ConfigError.invalid("the rule has no logsource") }
        guard let det = doc["detection"]?.mapping else { throw ConfigError.invalid("the rule has no detection") }
        if det["timeframe"] != nil { throw ConfigError.invalid("timeframe (a correlation over time) is not supported") }


        let product = ls["product"]?.scalar?.string, service = ls["service"]?.scalar?.string, category = ls["category"]?.scalar?.string
        let lsName = [product, service, category].compactMap { $0 }.joined(separator: "/")
        guard let entry = logsources.entry(product: product, service: service, category: category) else {
            return .noSource(path: path, rule: id, logsource: lsName)
        }
        let sources = try entry.sources()
        if sources.isEmpty { return .noSource(path: path, rule: id, logsource: lsName) }

        var names: [String] = []
        var selections: [SigmaSelection] = []
        var conditionNode: Node?
        for (k, v) in det {
            guard let key = k.scalar?.string else { throw ConfigError.invalid("detection: keys must be names") }
            if key == "condition" { conditionNode = v; continue }
            names.append(key)
            selections.append(try selection(key, v, entry))
        }
        guard let cond = conditionNode else { throw ConfigError.invalid("detection has no condition") }
        let texts: [String]
        if let seq = cond.sequence { texts = seq.compactMap { $0.scalar?.string } } else { texts = [cond.scalar?.string].compactMap { $0 } }
        guard !texts.isEmpty else { throw ConfigError.invalid("detection: condition must be text") }
        let parsed = try texts.map { try SigmaConditionParser.parse($0, names: names) }
        let condition = parsed.count == 1 ? parsed[0] : .or(parsed)

        var rule = SigmaRule(id: id, title: title, author: doc["author"]?.scalar?.string ?? "",
                             license: doc["license"]?.scalar?.string ?? "Detection Rule License 1.1",
                             status: status, level: level, attack: Self.techniques(doc["tags"]), path: path,
                             sources: sources, selections: selections, condition: condition, eventNames: nil)
        if sources.allSatisfy({ $0.format == .cloudtrail }) {
            rule.eventNames = Self.required("eventName", condition, selections)
            if rule.eventNames == nil { rule.principalTypes = Self.required("userIdentity.type", condition, selections) }
        }
        // Filters apply to rules that compile, so a broken rule is reported whatever its status.
        if let allowed = filter.statuses, !allowed.contains(status) {
            return .filtered(path: path, rule: id, why: "status \(status)")
        }
        if level < filter.minLevel { return .filtered(path: path, rule: id, why: "level \(levelName)") }
        return .loaded(rule)
    }

    func selection(_ name: String, _ v: Node, _ entry: SigmaLogsources.Entry) throws -> SigmaSelection {
        if let m = v.mapping { return SigmaSelection(name: name, groups: [try group(m, entry)]) }
        if let seq = v.sequence {
            if seq.allSatisfy({ $0.mapping != nil }) {
                return SigmaSelection(name: name, groups: try seq.map { try group($0.mapping!, entry) })
            }
            guard seq.allSatisfy({ $0.scalar != nil }) else { throw ConfigError.invalid("selection \(name): mixes maps and keywords") }
            return SigmaSelection(name: name, keywords: seq.compactMap { SigmaValues.text($0) }.map(Self.keyword))
        }
        guard let s = SigmaValues.text(v) else { throw ConfigError.invalid("selection \(name) is empty") }
        return SigmaSelection(name: name, keywords: [Self.keyword(s)])
    }

    func group(_ m: Node.Mapping, _ entry: SigmaLogsources.Entry) throws -> [SigmaFieldTest] {
        guard !m.isEmpty else { throw ConfigError.invalid("an empty selection map") }
        return try m.map { k, v in
            guard let key = k.scalar?.string else { throw ConfigError.invalid("selection keys must be field names") }
            return try SigmaValues.fieldTest(key: key, value: v, entry: entry)
        }
    }

    /// Keywords are searched anywhere in the record.
    static func keyword(_ s: String) -> SigmaPattern { SigmaPattern(s, prefixStar: true, suffixStar: true) }

    static func severity(_ level: String) -> Severity? {
        level == "informational" ? .info : Severity(name: level)
    }

    /// `attack.t1078.004` → `T1078.004`; tactic tags (`attack.persistence`) are not techniques.
    static func techniques(_ tags: Node?) -> [String] {
        guard let seq = tags?.sequence else { return [] }
        var out: [String] = []
        for t in seq {
            guard let s = t.scalar?.string.lowercased(), s.hasPrefix("attack.t") else { continue }
            let id = s.dropFirst("attack.".count)
            let digits = id.dropFirst()
            let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { continue }
            let up = id.uppercased()
            if !out.contains(up) { out.append(up) }
        }
        return out
    }

    /// The values (lower case) of which the record's `field` must have one for the condition to
    /// hold, or nil when it can hold for any: the detector indexes rules by them.
    static func required(_ field: String, _ e: SigmaExpr, _ sels: [SigmaSelection]) -> Set<String>? {
        switch e {
        case .not:
            return nil
        case .and(let xs):
            let sets = xs.compactMap { required(field, $0, sels) }
            return sets.isEmpty ? nil : sets.dropFirst().reduce(sets[0]) { $0.intersection($1) }
        case .or(let xs):
            var u = Set<String>()
            for x in xs {
                guard let s = required(field, x, sels) else { return nil }
                u.formUnion(s)
            }
            return u
        case .selection(let i):
            let sel = sels[i]
            guard sel.keywords.isEmpty else { return nil }
            var u = Set<String>()
            for g in sel.groups {
                guard let t = g.first(where: { $0.field == field && $0.paths.map(\.text) == [field] && !$0.all }) else { return nil }
                for m in t.matchers {
                    guard case .pattern(let p) = m, let lit = p.literal else { return nil }
                    u.insert(lit.lowercased())
                }
            }
            return u
        }
    }

    static func describe(_ e: Error) -> String {
        let s = "\(e)"
        return s.count > 300 ? String(s.prefix(297)) + "..." : s
    }
}
