import Foundation
import VigilCore

/// A Sigma string value compiled to bytes: literal bytes with the wildcards `*` (any run) and `?`
/// (one character), matched against the whole value.
///
/// Why bytes: values are compared on every event a rule sees; a byte loop with ASCII case folding
/// allocates nothing. Case-insensitive unless `cased` (Sigma's default), folding ASCII letters only,
/// as SQL backends' `LIKE` does. `contains`, `startswith` and `endswith` are wildcards added at load.
/// Cost: O(value × pattern) in the worst case, O(value) for the usual single-star patterns.
public struct SigmaPattern: Sendable, Equatable {
    /// Bytes 0…255, or ``star`` / ``one``. Letters are folded to lower case unless `cased`.
    let tokens: [Int16]
    public let cased: Bool
    /// The value as the rule wrote it, for reasons and tests.
    public let source: String

    static let star: Int16 = -1
    static let one: Int16 = -2

    /// Compiles a Sigma value: `\*`, `\?` and `\\` are literal; a lone `\` is literal.
    public init(_ value: String, cased: Bool = false, prefixStar: Bool = false, suffixStar: Bool = false, wildcards: Bool = true) {
        source = value
        self.cased = cased
        var t: [Int16] = prefixStar ? [Self.star] : []
        let b = Array(value.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            if wildcards && c == 92, i + 1 < b.count, b[i + 1] == 42 || b[i + 1] == 63 || b[i + 1] == 92 {
                t.append(Self.fold(b[i + 1], cased))
                i += 2
                continue
            }
            if wildcards && c == 42 { if t.last != Self.star { t.append(Self.star) } } else if wildcards && c == 63 { t.append(Self.one) } else { t.append(Self.fold(c, cased)) }
            i += 1
        }
        if suffixStar && t.last != Self.star { t.append(Self.star) }
        tokens = t
    }

    @inline(__always) static func fold(_ c: UInt8, _ cased: Bool) -> Int16 {
        Int16(cased ? c : ASCIICase.lower(c))
    }

    /// The literal text when the pattern has no wildcard (the event-name index uses it).
    public var literal: String? {
        guard !tokens.contains(where: { $0 < 0 }) else { return nil }
        return String(decoding: tokens.map { UInt8($0) }, as: UTF8.self)
    }

    public func matches(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { matches($0) }
    }

    public func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        tokens.withUnsafeBufferPointer { tok in
            let n = text.count, m = tok.count
            var p = 0, t = 0, starP = -1, starT = 0
            while t < n {
                if p < m {
                    let k = tok[p]
                    if k == Self.star {
                        starP = p; starT = t; p += 1
                        continue
                    }
                    if k == Self.one {
                        t = Self.nextScalar(text, t); p += 1
                        continue
                    }
                    if k == Self.fold(text[t], cased) { p += 1; t += 1; continue }
                }
                guard starP >= 0 else { return false }
                p = starP + 1
                starT += 1
                t = starT
            }
            while p < m && tok[p] == Self.star { p += 1 }
            return p == m
        }
    }

    @inline(__always) static func nextScalar(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        var j = i + 1
        while j < b.count && b[j] & 0xC0 == 0x80 { j += 1 }
        return j
    }
}

/// A `|re` value: a regular expression searched in the value (case-sensitive unless `|i`), with
/// a literal every match must contain checked first, so most values never reach the regex engine.
public struct SigmaRegex: @unchecked Sendable {
    public let pattern: String
    let regex: NSRegularExpression
    /// A substring every match contains (from the pattern's top-level literal runs), as a
    /// byte pattern `*literal*`, or nil.
    let required: SigmaPattern?

    public init(_ pattern: String, ignoreCase: Bool = false, multiline: Bool = false, dotAll: Bool = false) throws {
        self.pattern = pattern
        var opts: NSRegularExpression.Options = []
        if ignoreCase { opts.insert(.caseInsensitive) }
        if multiline { opts.insert(.anchorsMatchLines) }
        if dotAll { opts.insert(.dotMatchesLineSeparators) }
        regex = try NSRegularExpression(pattern: pattern, options: opts)
        required = Self.requiredLiteral(pattern).map {
            SigmaPattern($0, cased: !ignoreCase, prefixStar: true, suffixStar: true, wildcards: false)
        }
    }

    public func matches(_ s: String) -> Bool {
        if let r = required, !r.matches(s) { return false }
        return matchesWithoutPrefilter(s)
    }

    /// The regex alone, for callers that checked ``required`` on the bytes already.
    func matchesWithoutPrefilter(_ s: String) -> Bool {
        regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    /// The longest run of plain characters outside groups and classes, in a pattern without
    /// alternation; a character followed by a quantifier that allows zero is not required.
    static func requiredLiteral(_ p: String) -> String? {
        let c = Array(p)
        if c.contains("|") || p.contains("(?") { return nil }   // alternation or inline flags: no safe literal
        var best = "", run = ""
        var depth = 0, i = 0
        func flush() { if run.count > best.count { best = run }; run = "" }
        while i < c.count {
            let ch = c[i]
            if ch == "\\" {
                guard i + 1 < c.count else { return nil }
                let n = c[i + 1]
                if depth == 0 && ".*+?()[]{}|^$/\\-:".contains(n) { run.append(n) } else { flush() }
                i += 2
                continue
            }
            if ch == "[" {
                flush()
                while i < c.count && c[i] != "]" { if c[i] == "\\" { i += 1 }; i += 1 }
                i += 1
                continue
            }
            if ch == "(" { depth += 1; flush(); i += 1; continue }
            if ch == ")" { depth -= 1; flush(); i += 1; continue }
            if "?*{".contains(ch) {
                if !run.isEmpty { run.removeLast() }
                flush(); i += 1
                continue
            }
            if ".+^$}".contains(ch) { flush(); i += 1; continue }
            if depth == 0 { run.append(ch) } else { flush() }
            i += 1
        }
        flush()
        return best.isEmpty ? nil : best
    }
}

/// A `|cidr` value: an IPv4 or IPv6 network.
public struct SigmaCIDR: Sendable, Equatable {
    let network: [UInt8]
    let prefix: Int
    public let source: String

    public init?(_ text: String) {
        source = text
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let addr = Self.address(parts[0]) else { return nil }
        let bits = addr.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p) else { return nil }
            prefix = p
        } else {
            prefix = bits
        }
        network = addr
    }

    public func contains(_ text: String) -> Bool {
        guard let a = Self.address(text), a.count == network.count else { return false }
        var left = prefix, i = 0
        while left > 0 {
            let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
            if a[i] & mask != network[i] & mask { return false }
            left -= 8
            i += 1
        }
        return true
    }

    /// The bytes of an IPv4 or IPv6 address (nil when it is neither).
    static func address(_ s: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
