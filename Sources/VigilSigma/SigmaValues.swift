import Foundation
import VigilCore
import VigilDetection
import Yams

/// Compiles one `field|modifier|…: value(s)` entry of a selection into a ``SigmaFieldTest``.
///
/// Modifiers (Sigma specification): `contains`, `startswith`, `endswith`, `all`, `cased`, `re`
/// (with `i`, `m`, `s`), `cidr`, `exists`, `windash`, `base64`, `base64offset`, `gt`, `gte`, `lt`,
/// `lte`, `fieldref`. Anything else (e.g. `expand`, `utf16le`) refuses the rule with its name.
enum SigmaValues {
    static let known: Set<String> = ["contains", "startswith", "endswith", "all", "cased", "re", "i", "m", "s", "cidr", "exists",
                                     "windash", "base64", "base64offset", "gt", "gte", "lt", "lte", "fieldref"]

    static func fieldTest(key: String, value: Node, entry: SigmaLogsources.Entry) throws -> SigmaFieldTest {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let field = parts[0]
        let mods = Array(parts.dropFirst())
        for m in mods where !known.contains(m) {
            throw ConfigError.invalid("field \(field): modifier '\(m)' is not supported")
        }
        guard !field.isEmpty else { throw ConfigError.invalid("a selection entry without a field name ('\(key)') is not supported") }
        let has = Set(mods)
        let values = try scalars(value, field: field)
        guard !values.isEmpty else { throw ConfigError.invalid("field \(field): empty value list") }
        let paths = entry.paths(field)
        let all = has.contains("all")

        if has.contains("exists") {
            guard values.count == 1, let v = values[0], let b = Bool(v.lowercased()) else {
                throw ConfigError.invalid("field \(field): exists takes true or false")
            }
            return SigmaFieldTest(field: field, paths: paths, matchers: [.exists(b)], all: false)
        }
        if has.contains("fieldref") {
            let refs = try values.map { v -> SigmaMatcher in
                guard let v else { throw ConfigError.invalid("field \(field): fieldref needs a field name") }
                return .fieldref(entry.paths(v))
            }
            return SigmaFieldTest(field: field, paths: paths, matchers: refs, all: all)
        }
        var matchers: [SigmaMatcher] = []
        for v in values {
            guard let v else { matchers.append(.null); continue }
            if has.contains("re") {
                do {
                    matchers.append(.regex(try SigmaRegex(v, ignoreCase: has.contains("i"), multiline: has.contains("m"), dotAll: has.contains("s"))))
                } catch {
                    throw ConfigError.invalid("field \(field): regular expression '\(v)' does not compile")
                }
                continue
            }
            if has.contains("cidr") {
                guard let net = SigmaCIDR(v) else { throw ConfigError.invalid("field \(field): '\(v)' is not a CIDR network") }
                matchers.append(.cidr(net))
                continue
            }
            if let op = [SigmaComparison.gt, .gte, .lt, .lte].first(where: { has.contains($0.rawValue) }) {
                guard let d = Double(v) else { throw ConfigError.invalid("field \(field): \(op.rawValue) needs a number, got '\(v)'") }
                matchers.append(.compare(op, d))
                continue
            }
            var variants = [v]
            var wildcards = true
            for m in mods {
                switch m {
                case "windash": variants = variants.flatMap(windash)
                case "base64": variants = variants.map { Data($0.utf8).base64EncodedString() }; wildcards = false
                case "base64offset": variants = variants.flatMap(base64offset); wildcards = false
                default: break
                }
            }
            let cased = has.contains("cased")
            for x in variants {
                matchers.append(.pattern(SigmaPattern(x, cased: cased, prefixStar: has.contains("contains") || has.contains("endswith"),
                                                      suffixStar: has.contains("contains") || has.contains("startswith"), wildcards: wildcards)))
            }
        }
        return SigmaFieldTest(field: field, paths: paths, matchers: matchers, all: all)
    }

    /// The scalar values of a node (a scalar or a list of scalars) as text; nil for null.
    static func scalars(_ n: Node, field: String) throws -> [String?] {
        if let seq = n.sequence {
            return try seq.map { item in
                guard item.scalar != nil else { throw ConfigError.invalid("field \(field): nested lists and maps as values are not supported") }
                return text(item)
            }
        }
        guard n.scalar != nil else { throw ConfigError.invalid("field \(field): a map as a value is not supported") }
        return [text(n)]
    }

    /// A scalar's text as written (numbers and booleans as they read), nil for YAML null.
    static func text(_ n: Node) -> String? {
        guard let s = n.scalar else { return nil }
        if s.style == .plain && (s.string.isEmpty || s.string == "~" || s.string.lowercased() == "null") { return nil }
        return s.string
    }

    /// `windash`: the value with each dash or slash that starts an argument written every way
    /// Windows tools accept (`-`, `/`, en dash, em dash, horizontal bar): all combinations for up
    /// to three such places, the same character everywhere beyond that (5³ variants at most).
    static func windash(_ v: String) -> [String] {
        let dashes: [Character] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
        let chars = Array(v)
        var starts: [Int] = []
        for i in chars.indices where (chars[i] == "-" || chars[i] == "/") && (i == 0 || chars[i - 1].isWhitespace) { starts.append(i) }
        guard !starts.isEmpty else { return [v] }
        if starts.count > 3 {
            return dashes.map { d in var c = chars; for i in starts { c[i] = d }; return String(c) }
        }
        var out: [[Character]] = [chars]
        for i in starts {
            out = out.flatMap { c in dashes.map { d in var x = c; x[i] = d; return x } }
        }
        return out.map { String($0) }
    }

    /// `base64offset`: the three base64 forms of the value as it reads at byte offsets 0, 1 and 2 of
    /// a longer encoded text (characters that depend on the unknown neighbours dropped).
    static func base64offset(_ v: String) -> [String] {
        let bytes = Array(v.utf8)
        return (0..<3).map { i in
            let enc = Array((Data(repeating: 32, count: i) + Data(bytes)).base64EncodedString())
            let start = [0, 2, 3][i]
            let end = enc.count - [0, 3, 2][(bytes.count + i) % 3]
            return start < end ? String(enc[start..<end]) : ""
        }.filter { !$0.isEmpty }
    }
}
