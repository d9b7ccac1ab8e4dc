import VigilCore
import VigilDetection

/// Parses a Sigma `condition` into a ``SigmaExpr`` over the rule's selection names.
///
/// Grammar (Sigma specification, without the deprecated `| count()` aggregations):
/// `expr := term ("or" term)*`, `term := factor ("and" factor)*`,
/// `factor := "not" factor | "(" expr ")" | ("1"|"any"|"all") "of" (pattern|"them") | name`.
/// Names may carry `*` wildcards in `… of` patterns; `them` means every selection whose name does
/// not start with `_`. Keywords are case-insensitive. Errors say what was expected and where.
struct SigmaConditionParser {
    private var tokens: [String]
    private var at = 0
    let names: [String]

    init(_ text: String, names: [String]) throws {
        self.names = names
        var t: [String] = []
        var cur = ""
        for ch in text {
            if ch == "(" || ch == ")" {
                if !cur.isEmpty { t.append(cur); cur = "" }
                t.append(String(ch))
            } else if ch.isWhitespace {
                if !cur.isEmpty { t.append(cur); cur = "" }
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { t.append(cur) }
        if t.contains("|") || t.contains(where: { $0.hasPrefix("|") }) {
            throw ConfigError.invalid("aggregation expressions ('| count() …') are not supported; use a correlation-free condition")
        }
        guard !t.isEmpty else { throw ConfigError.invalid("empty condition") }
        tokens = t
    }

    static func parse(_ text: String, names: [String]) throws -> SigmaExpr {
        var p = try SigmaConditionParser(text, names: names)
        let e = try p.expr()
        guard p.at == p.tokens.count else { throw ConfigError.invalid("condition: unexpected '\(p.tokens[p.at])'") }
        return e
    }

    private func peek() -> String? { at < tokens.count ? tokens[at] : nil }
    private func peekKeyword() -> String? { peek()?.lowercased() }

    private mutating func expr() throws -> SigmaExpr {
        var parts = [try term()]
        while peekKeyword() == "or" { at += 1; parts.append(try term()) }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    private mutating func term() throws -> SigmaExpr {
        var parts = [try factor()]
        while peekKeyword() == "and" { at += 1; parts.append(try factor()) }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private mutating func factor() throws -> SigmaExpr {
        guard let tok = peek() else { throw ConfigError.invalid("condition ends where a selection was expected") }
        let kw = tok.lowercased()
        if kw == "not" { at += 1; return .not(try factor()) }
        if tok == "(" {
            at += 1
            let e = try expr()
            guard peek() == ")" else { throw ConfigError.invalid("condition: missing ')'") }
            at += 1
            return e
        }
        if at + 1 < tokens.count, tokens[at + 1].lowercased() == "of" {
            guard ["1", "any", "all"].contains(kw) else {
                throw ConfigError.invalid("condition: '\(tok) of' is not supported (use 1 of, any of or all of)")
            }
            at += 2
            guard let target = peek() else { throw ConfigError.invalid("condition: 'of' needs a pattern or 'them'") }
            at += 1
            let chosen: [Int]
            if target.lowercased() == "them" {
                chosen = names.indices.filter { !names[$0].hasPrefix("_") }
            } else {
                let p = SigmaPattern(target, cased: true)
                chosen = names.indices.filter { p.matches(names[$0]) }
            }
            guard !chosen.isEmpty else { throw ConfigError.invalid("condition: '\(target)' names no selection") }
            let items = chosen.map { SigmaExpr.selection($0) }
            if items.count == 1 { return items[0] }
            return kw == "all" ? .and(items) : .or(items)
        }
        if ["and", "or", ")"].contains(kw) { throw ConfigError.invalid("condition: unexpected '\(tok)'") }
        guard let i = names.firstIndex(of: tok) else { throw ConfigError.invalid("condition: no selection named '\(tok)'") }
        at += 1
        return .selection(i)
    }
}
