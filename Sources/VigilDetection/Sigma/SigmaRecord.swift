import VigilCore

/// A dotted record path (`userIdentity.sessionContext.sessionIssuer.type`), split once at load.
public struct SigmaPath: Sendable, Equatable {
    public let text: String
    let parts: [[UInt8]]
    /// Keys compared ignoring ASCII case (Azure producers disagree on key case).
    public let caseInsensitive: Bool

    public init(_ text: String, caseInsensitive: Bool = false) {
        self.text = text
        self.caseInsensitive = caseInsensitive
        parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
    }

    public static func == (a: SigmaPath, b: SigmaPath) -> Bool { a.caseInsensitive == b.caseInsensitive && a.text == b.text }
}

/// A value found at a path, as Sigma compares it: a string's contents or a number's or boolean's
/// JSON text, an object's raw JSON text, or null. Most values stay byte ranges of the record, so
/// reading them allocates nothing; only strings with escapes are decoded.
public enum SigmaValue: Sendable, Equatable {
    /// Bytes of the record: a string without escapes (between its quotes), or a number or boolean.
    case raw(Range<Int>)
    /// A string that had escapes, decoded.
    case text(String)
    case null
    /// An object, as its JSON text in the record.
    case container(Range<Int>)
}

/// An event's raw record as Sigma rules read it: values at dotted paths found by a byte-level scan,
/// each path scanned at most once per event.
///
/// Why not a DOM: wide rules (no event name to filter on) look at every record; a scan that
/// stops caring about a subtree as soon as its key does not match costs a fraction of building one.
/// Arrays fan out: `a.b` finds `b` in every element of an array `a`. Keys with JSON escapes are
/// compared as written. O(record bytes) per distinct path, nothing for paths asked again.
public struct SigmaRecord {
    public let raw: [UInt8]?
    /// Paths read so far and their values. A short list: an event meets a handful of paths, and
    /// comparing a few strings is cheaper than hashing one.
    private var cache: [(path: SigmaPath, values: [SigmaValue])] = []

    public init(raw: [UInt8]?) { self.raw = raw }

    /// The non-missing values at `path` (null included as `.null`); empty when the path is absent.
    public mutating func values(_ path: SigmaPath) -> [SigmaValue] {
        for c in cache where c.path == path { return c.values }
        var out: [SigmaValue] = []
        if let raw, !raw.isEmpty {
            raw.withUnsafeBytes { b in
                var s = JSONScanner(b)
                _ = Self.find(&s, path.parts, 0, path.caseInsensitive, &out, depth: 0, inArray: false)
            }
        }
        cache.append((path, out))
        return out
    }

    /// The value as text (nil for null).
    public func string(_ v: SigmaValue) -> String? {
        switch v {
        case .text(let s): return s
        case .null: return nil
        case .raw(let r), .container(let r):
            guard let raw else { return nil }
            return String(decoding: raw[r], as: UTF8.self)
        }
    }

    /// Calls `body` with the value's bytes (false for null).
    @inline(__always)
    public func withBytes(_ v: SigmaValue, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        switch v {
        case .null: return false
        case .text(var s): return s.withUTF8(body)
        case .raw(let r), .container(let r):
            guard let raw else { return false }
            return raw.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[r])) }
        }
    }

    /// Values of the first of `paths` that has any.
    public mutating func values(_ paths: [SigmaPath]) -> [SigmaValue] {
        for p in paths {
            let v = values(p)
            if !v.isEmpty { return v }
        }
        return []
    }

    /// Collects the values at `parts[i...]` under the scanner. Outside arrays the search stops at
    /// the first key that matches (keys are unique in an object), so a field near the start of a
    /// record costs only the bytes before it; returns true when it stopped early (the scanner is
    /// then mid-value and must not be used further). Inside an array every element is read to its
    /// end, because the next element may match too.
    static func find(_ s: inout JSONScanner, _ parts: [[UInt8]], _ i: Int, _ ci: Bool, _ out: inout [SigmaValue],
                     depth: Int, inArray: Bool) -> Bool {
        guard depth < JSONScanner.maxDepth, let c = s.peek() else { return true }
        if i == parts.count { return !emit(&s, &out, depth: depth) }
        switch c {
        case 123:
            guard s.consume(123) else { return true }
            if s.consume(125) { return false }
            let want = parts[i]
            while true {
                guard let (key, _) = s.stringRange(), s.consume(58) else { return true }
                if keyMatches(s.bytes, key, want, ci) {
                    if find(&s, parts, i + 1, ci, &out, depth: depth + 1, inArray: inArray) || !inArray { return true }
                } else if !s.skipValue(depth: depth + 1) {
                    return true
                }
                if s.consume(44) { continue }
                return !s.consume(125)
            }
        case 91:
            var stopped = false
            let ok = s.array { s in
                if find(&s, parts, i, ci, &out, depth: depth + 1, inArray: true) { stopped = true; return false }
                return true
            }
            return stopped || !ok
        default:
            return !s.skipValue(depth: depth)
        }
    }

    /// Records the value under the scanner; arrays fan out into their elements.
    static func emit(_ s: inout JSONScanner, _ out: inout [SigmaValue], depth: Int) -> Bool {
        guard let c = s.peek() else { return false }
        switch c {
        case 34:
            guard let (r, escaped) = s.stringRange() else { return false }
            out.append(escaped ? .text(JSONScanner.unescape(s.bytes, r)) : .raw(r))
            return true
        case 91:
            return s.array { s in emit(&s, &out, depth: depth + 1) }
        case 123:
            let start = s.pos
            guard s.skipValue(depth: depth) else { return false }
            out.append(.container(start..<s.pos))
            return true
        default:
            let start = s.pos
            guard s.skipValue(depth: depth) else { return false }
            out.append(c == 110 ? .null : .raw(start..<s.pos))
            return true
        }
    }

    @inline(__always)
    static func keyMatches(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, _ want: [UInt8], _ ci: Bool) -> Bool {
        guard r.count == want.count else { return false }
        var i = 0
        for k in r {
            let a = b[k], w = want[i]
            if ci ? ASCIICase.lower(a) != ASCIICase.lower(w) : a != w { return false }
            i += 1
        }
        return true
    }
}
