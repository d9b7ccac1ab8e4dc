import VigilCore

/// A dotted record path (`userIdentity.sessionContext.sessionIssuer.type`), split once at load.
public struct SigmaPath: Sendable, Hashable {
    public let text: String
    let parts: [[UInt8]]
    /// Keys compared ignoring ASCII case (Azure producers disagree on key case).
    public let caseInsensitive: Bool

    public init(_ text: String, caseInsensitive: Bool = false) {
        self.text = text
        self.caseInsensitive = caseInsensitive
        parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
    }
}

/// A value found at a path, as Sigma compares it: strings decoded, numbers and booleans as their
/// JSON text, objects and arrays-of-containers as their raw JSON text.
public enum SigmaValue: Sendable, Equatable {
    case text(String)
    case null
    case container(String)

    var string: String? {
        switch self {
        case .text(let s), .container(let s): return s
        case .null: return nil
        }
    }
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
    private var cache: [SigmaPath: [SigmaValue]] = [:]

    public init(raw: [UInt8]?) { self.raw = raw }

    /// The non-missing values at `path` (null included as `.null`); empty when the path is absent.
    public mutating func values(_ path: SigmaPath) -> [SigmaValue] {
        if let v = cache[path] { return v }
        var out: [SigmaValue] = []
        if let raw, !raw.isEmpty {
            raw.withUnsafeBytes { b in
                var s = JSONScanner(b)
                _ = Self.collect(&s, path.parts, 0, path.caseInsensitive, &out, depth: 0)
            }
        }
        cache[path] = out
        return out
    }

    /// Values of the first of `paths` that has any.
    public mutating func values(_ paths: [SigmaPath]) -> [SigmaValue] {
        for p in paths {
            let v = values(p)
            if !v.isEmpty { return v }
        }
        return []
    }

    static func collect(_ s: inout JSONScanner, _ parts: [[UInt8]], _ i: Int, _ ci: Bool, _ out: inout [SigmaValue], depth: Int) -> Bool {
        guard depth < JSONScanner.maxDepth, let c = s.peek() else { return false }
        if i == parts.count { return emit(&s, &out, depth: depth) }
        switch c {
        case 123:
            let want = parts[i]
            return s.object { s, key in
                if keyMatches(s.bytes, key, want, ci) { return collect(&s, parts, i + 1, ci, &out, depth: depth + 1) }
                return s.skipValue(depth: depth + 1)
            }
        case 91:
            return s.array { s in collect(&s, parts, i, ci, &out, depth: depth + 1) }
        default:
            return s.skipValue(depth: depth)
        }
    }

    /// Records the value under the scanner; arrays fan out into their elements.
    static func emit(_ s: inout JSONScanner, _ out: inout [SigmaValue], depth: Int) -> Bool {
        guard let c = s.peek() else { return false }
        switch c {
        case 34:
            guard let t = s.string() else { return false }
            out.append(.text(t))
            return true
        case 91:
            return s.array { s in emit(&s, &out, depth: depth + 1) }
        case 123:
            let start = s.pos
            guard s.skipValue(depth: depth) else { return false }
            out.append(.container(String(decoding: UnsafeRawBufferPointer(rebasing: s.bytes[start..<s.pos]), as: UTF8.self)))
            return true
        default:
            let start = s.pos
            guard s.skipValue(depth: depth) else { return false }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: s.bytes[start..<s.pos]), as: UTF8.self)
            out.append(text == "null" ? .null : .text(text))
            return true
        }
    }

    @inline(__always)
    static func keyMatches(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, _ want: [UInt8], _ ci: Bool) -> Bool {
        guard r.count == want.count else { return false }
        var i = 0
        for k in r {
            var a = b[k], w = want[i]
            if ci {
                if a >= 65 && a <= 90 { a |= 0x20 }
                if w >= 65 && w <= 90 { w |= 0x20 }
            }
            if a != w { return false }
            i += 1
        }
        return true
    }
}
