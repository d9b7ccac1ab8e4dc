#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only, validating JSON reader over bytes, for parsers that want a few fields fast.
///
/// Why not a DOM: a CloudTrail record has dozens of fields and parsers need about fifteen; this
/// reads keys without allocating, decodes only the strings asked for, and skips the rest while still
/// checking it is well-formed JSON. Every method is O(bytes it advances over); nesting is capped at
/// ``maxDepth`` so hostile input cannot exhaust the stack.
public struct JSONScanner {
    public let bytes: UnsafeRawBufferPointer
    public var pos: Int = 0
    public static let maxDepth = 64

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    @inline(__always) public var atEnd: Bool { pos >= bytes.count }

    @inline(__always) public mutating func skipWS() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 32 || c == 10 || c == 13 || c == 9 { pos += 1 } else { return }
        }
    }

    @inline(__always) public mutating func peek() -> UInt8? {
        skipWS()
        return pos < bytes.count ? bytes[pos] : nil
    }

    @inline(__always) public mutating func consume(_ c: UInt8) -> Bool {
        skipWS()
        if pos < bytes.count && bytes[pos] == c { pos += 1; return true }
        return false
    }

    /// Reads a string token; returns the byte range between the quotes and whether it had escapes.
    public mutating func stringRange() -> (range: Range<Int>, escaped: Bool)? {
        guard consume(34) else { return nil }
        let start = pos
        var escaped = false
        // Sixteen bytes at a time while none of them ends the string, escapes or is a control byte.
        if let base = bytes.baseAddress {
            let quote = SIMD16<UInt8>(repeating: 34), backslash = SIMD16<UInt8>(repeating: 92), space = SIMD16<UInt8>(repeating: 32)
            while pos &+ 16 <= bytes.count {
                let v = base.loadUnaligned(fromByteOffset: pos, as: SIMD16<UInt8>.self)
                if any((v .== quote) .| (v .== backslash) .| (v .< space)) { break }
                pos &+= 16
            }
        }
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 34 { pos += 1; return (start..<(pos - 1), escaped) }
            if c == 92 {
                escaped = true
                pos += 2
                continue
            }
            if c < 32 { return nil }
            pos += 1
        }
        return nil
    }

    /// Reads a string token and decodes it (escapes included).
    public mutating func string() -> String? {
        guard let (r, esc) = stringRange() else { return nil }
        return esc ? Self.unescape(bytes, r) : String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    /// Reads a string, or the raw text of a number/boolean; `nil` for null, objects and arrays
    /// (which are skipped). Useful for fields whose type varies between producers.
    public mutating func scalarText() -> String?? {
        guard let c = peek() else { return .none }
        switch c {
        case 34: return string().map { .some($0) }
        case 123, 91:
            guard skipValue() else { return .none }
            return .some(nil)
        default:
            let start = pos
            guard skipValue() else { return .none }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
            return .some(text == "null" ? nil : text)
        }
    }

    /// Does the key at `r` equal `lit`? No allocation.
    @inline(__always) public func keyIs(_ r: Range<Int>, _ lit: StaticString) -> Bool {
        guard r.count == lit.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress! + r.lowerBound, lit.utf8Start, r.count) == 0
    }

    /// Case-insensitive (ASCII) form of ``keyIs(_:_:)``, for producers that lowercase keys.
    @inline(__always) public func keyIsCI(_ r: Range<Int>, _ lit: StaticString) -> Bool {
        guard r.count == lit.utf8CodeUnitCount else { return false }
        let p = lit.utf8Start
        for i in 0..<r.count {
            var a = bytes[r.lowerBound + i], b = p[i]
            if a >= 65 && a <= 90 { a += 32 }
            if b >= 65 && b <= 90 { b += 32 }
            if a != b { return false }
        }
        return true
    }

    /// Iterates an object's members: `body` gets each key range and must consume the value.
    /// Returns false on malformed input.
    public mutating func object(_ body: (inout JSONScanner, Range<Int>) -> Bool) -> Bool {
        guard consume(123) else { return false }
        if consume(125) { return true }
        while true {
            guard let (key, _) = stringRange(), consume(58) else { return false }
            let before = pos
            guard body(&self, key) else { return false }
            if pos == before { return false }
            if consume(44) { continue }
            return consume(125)
        }
    }

    /// Iterates an array's elements: `body` must consume each element.
    public mutating func array(_ body: (inout JSONScanner) -> Bool) -> Bool {
        guard consume(91) else { return false }
        if consume(93) { return true }
        while true {
            let before = pos
            guard body(&self), pos != before else { return false }
            if consume(44) { continue }
            return consume(93)
        }
    }

    /// Skips one value, checking it is well-formed. Returns false on malformed input.
    public mutating func skipValue(depth: Int = 0) -> Bool {
        guard depth < Self.maxDepth, let c = peek() else { return false }
        switch c {
        case 34: return stringRange() != nil
        case 123: return object { s, _ in s.skipValue(depth: depth + 1) }
        case 91: return array { s in s.skipValue(depth: depth + 1) }
        case 116: return literal("true")
        case 102: return literal("false")
        case 110: return literal("null")
        default: return number()
        }
    }

    private mutating func literal(_ lit: StaticString) -> Bool {
        let n = lit.utf8CodeUnitCount
        guard pos + n <= bytes.count, memcmp(bytes.baseAddress! + pos, lit.utf8Start, n) == 0 else { return false }
        pos += n
        return true
    }

    private mutating func number() -> Bool {
        let start = pos
        if pos < bytes.count && bytes[pos] == 45 { pos += 1 }
        var digits = 0
        while pos < bytes.count {
            let c = bytes[pos]
            if (c >= 48 && c <= 57) { digits += 1; pos += 1 } else if c == 46 || c == 101 || c == 69 || c == 43 || c == 45 { pos += 1 } else { break }
        }
        return digits > 0 && pos > start
    }

    /// Reads an integer (or the integer part of a number, or a numeric string); nil otherwise.
    public mutating func int64() -> Int64? {
        guard let t = scalarText(), let s = t else { return nil }
        return Self.integer(fromText: s)
    }

    /// The integer a scalar's text stands for: itself, or the integer part of a number; nil otherwise.
    public static func integer(fromText s: String) -> Int64? {
        if let v = Int64(s) { return v }
        if let d = Double(s), d.isFinite, abs(d) < 9e18 { return Int64(d) }
        return nil
    }

    /// Decodes JSON escapes, including `\uXXXX` surrogate pairs; lone surrogates become U+FFFD.
    public static func unescape(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        var i = r.lowerBound
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= r.upperBound else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = b[k]
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 97...102: d = UInt32(c - 87)
                case 65...70: d = UInt32(c - 55)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        func put(_ u: UInt32) {
            let s = Unicode.Scalar(u) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(s)).utf8))
        }
        while i < r.upperBound {
            let c = b[i]
            if c != 92 { out.append(c); i += 1; continue }
            guard i + 1 < r.upperBound else { break }
            let e = b[i + 1]
            i += 2
            switch e {
            case 110: out.append(10)
            case 116: out.append(9)
            case 114: out.append(13)
            case 98: out.append(8)
            case 102: out.append(12)
            case 117:
                guard let u = hex4(i) else { put(0xFFFD); continue }
                i += 4
                if (0xD800...0xDBFF).contains(u), i + 6 <= r.upperBound, b[i] == 92, b[i + 1] == 117,
                   let lo = hex4(i + 2), (0xDC00...0xDFFF).contains(lo) {
                    i += 6
                    put(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00))
                } else {
                    put(u)
                }
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// UTF-8 validation with an ASCII fast path (8 bytes at a time).
public enum UTF8Check {
    public static func isValid(_ b: UnsafeRawBufferPointer) -> Bool {
        let n = b.count
        var i = 0
        while i + 8 <= n {
            if b.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < n && b[i] < 0x80 { i += 1 }
        if i == n { return true }
        return String(validating: UnsafeRawBufferPointer(rebasing: b[i...]), as: UTF8.self) != nil
    }
}
