#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a value's text sits inside a record: `lower..<upper`, or absent (`lower < 0`).
///
/// Why 32-bit bounds: records are capped far below 2 GiB (`--max-record-bytes`), and a fixed-size
/// event made of spans stays small enough to copy without touching the heap.
@frozen public struct ByteSpan: Sendable, Hashable {
    public var lower: Int32
    public var upper: Int32

    @inlinable public init(lower: Int, upper: Int) {
        self.lower = Int32(truncatingIfNeeded: lower)
        self.upper = Int32(truncatingIfNeeded: upper)
    }

    public static let absent = ByteSpan(lower: -1, upper: -1)

    @inlinable @inline(__always) public var isPresent: Bool { lower >= 0 }
    @inlinable public var count: Int { isPresent ? Int(upper &- lower) : 0 }

    /// The bytes of this span in `record` (empty when absent).
    @inlinable public func bytes(in record: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard isPresent else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: record[Int(lower)..<Int(upper)])
    }

    /// The span's text as a String, or nil when absent. Spans from ``SpanScanner`` hold ASCII
    /// without escapes, so this is a plain copy.
    @inlinable public func string(in record: UnsafeRawBufferPointer) -> String? {
        guard isPresent else { return nil }
        return String(decoding: bytes(in: record), as: UTF8.self)
    }

    /// Does the span hold exactly `lit`? False when absent.
    @inlinable public func equals(_ lit: StaticString, in record: UnsafeRawBufferPointer) -> Bool {
        guard isPresent, count == lit.utf8CodeUnitCount else { return false }
        return memcmp(record.baseAddress! + Int(lower), lit.utf8Start, count) == 0
    }
}


/// The fast path's JSON reader: one validating pass that hands out the byte spans of the values
/// a parser asks for, and refuses (returns failure for) anything it does not handle simply.
///
/// Why a second reader beside ``JSONScanner``: the full reader decodes escapes and accepts any
/// UTF-8; this one accepts only ASCII records and reports escaped strings, so that a span *is* the
/// value and nothing is decoded or allocated. Its grammar is ``JSONScanner``'s (same whitespace,
/// same lenient numbers) or stricter (ASCII only; nesting capped at ``maxDepth`` counted from the
/// record's top, where the full reader counts per skipped value): whatever it accepts, the full
/// reader accepts too, so a caller that falls back to the full parser on failure gets the full
/// parser's dead-letter reasons exactly. Cost: O(bytes advanced over), sixteen bytes at a time
/// inside strings.
public struct SpanScanner {
    public let base: UnsafePointer<UInt8>
    public let end: Int
    public var pos: Int = 0
    /// Containers open around `pos`.
    public var depth = 0
    public static let maxDepth = 60

    /// `bytes` must not be empty.
    @inlinable public init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        end = bytes.count
    }

    @inlinable @inline(__always) public mutating func skipWS() {
        while pos < end {
            let c = base[pos]
            if c == 32 || c == 10 || c == 13 || c == 9 { pos &+= 1 } else { return }
        }
    }

    /// The next non-blank byte (not consumed), or 0 at the end.
    @inlinable @inline(__always) public mutating func peek() -> UInt8 {
        skipWS()
        return pos < end ? base[pos] : 0
    }

    @inlinable @inline(__always) public mutating func consume(_ c: UInt8) -> Bool {
        skipWS()
        if pos < end && base[pos] == c { pos &+= 1; return true }
        return false
    }

    /// A string token's contents: its span, and whether it holds escapes. Nil when malformed, or when
    /// it holds a byte outside ASCII (the caller falls back).
    @inlinable public mutating func string() -> (span: ByteSpan, escaped: Bool)? {
        guard consume(34) else { return nil }
        let start = pos
        var escaped = false
        while true {
            pos = Self.nextSpecial(base, from: pos, end: end)
            guard pos < end else { return nil }
            let c = base[pos]
            if c == 34 {
                pos &+= 1
                return (ByteSpan(lower: start, upper: pos &- 1), escaped)
            }
            guard c == 92, pos &+ 1 < end, base[pos &+ 1] < 0x80 else { return nil }   // control or non-ASCII byte
            escaped = true
            pos &+= 2
        }
    }

    /// The index of the first byte at or after `from` that a string cannot simply contain — a
    /// quote, a backslash, a control byte or a byte outside ASCII — or `end`.
    ///
    /// Eight bytes at a time as one 64-bit word (SWAR): each test sets the top bit of every byte it
    /// matches; borrows can only mark bytes *after* a true match, so the lowest marked byte is exact.
    @inlinable @inline(__always)
    static func nextSpecial(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var i = from
        let raw = UnsafeRawPointer(base)
        while i &+ 8 <= end {
            let x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let q = x ^ (ones &* 34), b = x ^ (ones &* 92)
            let control = (x &- ones &* 32) & ~x & highs       // bytes below 0x20
            let quote = (q &- ones) & ~q & highs               // bytes equal to `"`
            let backslash = (b &- ones) & ~b & highs           // backslash bytes
            let m = control | quote | backslash | (x & highs)  // ... or at or above 0x80
            if m != 0 { return i &+ (m.trailingZeroBitCount >> 3) }
            i &+= 8
        }
        while i < end {
            let c = base[i]
            if c == 34 || c == 92 || c < 32 || c >= 0x80 { return i }
            i &+= 1
        }
        return end
    }

    /// A member key: its span (raw bytes, as ``JSONScanner/keyIs(_:_:)`` compares them) and the
    /// colon after it.
    @inlinable @inline(__always) public mutating func key() -> ByteSpan? {
        guard let (k, _) = string(), consume(58) else { return nil }
        return k
    }

    /// Does `span` hold exactly `lit`?
    @inlinable @inline(__always) public func spanIs(_ span: ByteSpan, _ lit: StaticString) -> Bool {
        span.count == lit.utf8CodeUnitCount && memcmp(base + Int(span.lower), lit.utf8Start, span.count) == 0
    }

    /// What a scalar-wanting read found.
    public enum Scalar {
        /// A string's contents (unescaped) or a number's or boolean's text.
        case text(ByteSpan)
        /// `null`, or an object or array (skipped): no value, as ``JSONScanner/scalarText()`` says.
        case none
        /// Malformed, non-ASCII, or an escaped string: the caller falls back.
        case refuse
    }

    /// Reads one value as ``JSONScanner/scalarText()`` does.
    @inlinable public mutating func scalar() -> Scalar {
        let c = peek()
        switch c {
        case 34:
            guard let (s, escaped) = string(), !escaped else { return .refuse }
            return .text(s)
        case 123, 91:
            return skipValue() ? .none : .refuse
        default:
            let start = pos
            guard skipValue() else { return .refuse }
            if pos &- start == 4 && c == 110 { return .none }   // null
            return .text(ByteSpan(lower: start, upper: pos))
        }
    }

    /// Opens an object (`{`); false when the next value is not one or nesting is too deep.
    /// Then: `if !s.closes(125) { repeat { key; value } while s.consume(44); guard s.consume(125) }`.
    @inlinable @inline(__always) public mutating func open(_ c: UInt8) -> Bool {
        guard depth < Self.maxDepth, consume(c) else { return false }
        depth &+= 1
        return true
    }

    /// After ``open(_:)``: the container ends here (empty), or after its last member.
    @inlinable @inline(__always) public mutating func close(_ c: UInt8) -> Bool {
        guard consume(c) else { return false }
        depth &-= 1
        return true
    }

    /// Skips one value, checking it is well-formed.
    @inlinable public mutating func skipValue() -> Bool {
        let c = peek()
        switch c {
        case 34: return string() != nil
        case 123:
            guard open(123) else { return false }
            if close(125) { return true }
            repeat {
                guard key() != nil, skipValue() else { return false }
            } while consume(44)
            return close(125)
        case 91:
            guard open(91) else { return false }
            if close(93) { return true }
            repeat {
                guard skipValue() else { return false }
            } while consume(44)
            return close(93)
        case 116: return literal("true")
        case 102: return literal("false")
        case 110: return literal("null")
        default: return number()
        }
    }

    @inlinable mutating func literal(_ lit: StaticString) -> Bool {
        let n = lit.utf8CodeUnitCount
        guard pos &+ n <= end, memcmp(base + pos, lit.utf8Start, n) == 0 else { return false }
        pos &+= n
        return true
    }

    /// ``JSONScanner``'s lenient number: an optional minus, then digits, `.`, `e`, `E`, `+`, `-`,
    /// with at least one digit.
    @inlinable mutating func number() -> Bool {
        let start = pos
        if pos < end && base[pos] == 45 { pos &+= 1 }
        var digits = 0
        while pos < end {
            let c = base[pos]
            if c >= 48 && c <= 57 { digits &+= 1; pos &+= 1 }
            else if c == 46 || c == 101 || c == 69 || c == 43 || c == 45 { pos &+= 1 }
            else { break }
        }
        return digits > 0 && pos > start
    }

    /// Only blanks (space, tab, CR, LF) remain.
    @inlinable public mutating func atEndAfterBlanks() -> Bool {
        skipWS()
        return pos >= end
    }
}
