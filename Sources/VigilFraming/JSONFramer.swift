import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a decoded byte stream into JSON records, without parsing them.
///
/// Accepts JSON lines, pretty-printed values, and CloudTrail delivery files `{"Records":[...]}`
/// (whose array elements become records). It tracks only nesting depth and string state: O(1) per
/// byte, memory bounded by `maxRecordBytes` (a longer record is skipped while counting its length
/// and reported as `record-too-large`).
///
/// Recovery: once the stream has shown itself to be JSON *lines* (its first record ended on the line
/// it began), a newline inside an unfinished record ends that record as `truncated-record`, so one
/// broken line never swallows the next. Bytes that cannot start a JSON value are reported up to the
/// next newline as `not-json`.
public struct JSONFramer {
    enum Mode { case unknown, lines, pretty }
    enum State { case between, inRecord, garbage, wrapperTail }

    public let maxRecordBytes: Int
    private var mode = Mode.unknown
    private var state = State.between
    private var depth = 0
    private var base = 0           // depth at which records start: 0, or 2 inside Records
    private var inString = false
    private var escape = false
    private var buf: [UInt8] = []
    private var bufLen = 0         // bytes of the current record seen so far (even when skipped)
    private var skipping = false
    private var sawNewline = false
    private var probe = 0          // progress matching `{"Records":[` (−1: not a wrapper)
    private var recOffset: Int64 = 0
    private var recLine: Int64 = 1
    private var offset: Int64 = 0  // absolute offset of the chunk start
    private var line: Int64 = 1
    private var wrapper = false
    private static let wrapperPattern: [UInt8] = Array("{\"Records\":[".utf8)

    /// `startOffset`/`startLine`: where in the stream the first pushed byte sits (when a reader
    /// resumes part-way through a file), so reported offsets and lines stay those of the whole file.
    public init(maxRecordBytes: Int = Limits.defaultMaxRecordBytes, startOffset: Int64 = 0, startLine: Int64 = 1) {
        self.maxRecordBytes = max(64, maxRecordBytes)
        offset = startOffset
        line = startLine
    }

    /// Frames `chunk`, calling `emit` for each finished record or bad span.
    public mutating func push(_ chunk: UnsafeRawBufferPointer, emit: (Frame) -> Void) {
        push(chunk, take: { _, _, _ in false }, emit: emit)
    }

    /// Frames `chunk` as ``push(_:emit:)`` does, but once the input has shown itself to be JSON
    /// lines, first offers each whole line that opens with `{` to `take` (the line without its
    /// `\n`, with its offset and line number). When `take` returns true it has read the line as one
    /// record and the framer moves past it without looking at its bytes again; when false, the
    /// framer reads the line byte by byte as usual. The line end is found with `memchr`.
    ///
    /// Why: framing a line and then parsing it reads every byte twice; a parser that validates the
    /// whole line in one pass (the CloudTrail fast path) makes the framer's pass redundant. Lines
    /// that open a `{"Records":[` wrapper, lines longer than `maxRecordBytes` and lines cut by the
    /// chunk's end are never offered.
    public mutating func push(_ chunk: UnsafeRawBufferPointer, take: (UnsafeRawBufferPointer, Int64, Int64) -> Bool,
                              emit: (Frame) -> Void) {
        let n = chunk.count
        var seg = 0   // start in this chunk of the current record's not-yet-buffered bytes
        var i = 0
        while i < n {
            let c = chunk[i]
            switch state {
            case .between:
                if c == 10 { line += 1 }
                if c == 32 || c == 9 || c == 10 || c == 13 || (c == 44 && wrapper) {
                    // whitespace or a separator between Records elements
                } else if c == 93 && wrapper {       // `]` closes the Records array
                    depth = 1
                    state = .wrapperTail
                } else if c == 123 || c == 91 {       // `{` or `[` opens a record
                    if c == 123 && mode == .lines && !wrapper, let j = Self.lineEnd(chunk, from: i),
                       j - i <= maxRecordBytes, !Self.opensWrapper(chunk, from: i, to: j),
                       take(UnsafeRawBufferPointer(rebasing: chunk[i..<j]), offset + Int64(i), line) {
                        i = j   // the newline: counted by the next trip, between records
                        continue
                    }
                    begin(at: i, chunkOffset: offset)
                    seg = i
                    depth = base + 1
                    probe = (base == 0 && c == 123) ? 1 : -1
                } else {
                    begin(at: i, chunkOffset: offset)
                    seg = i
                    state = .garbage
                }
            case .wrapperTail:
                if c == 10 { line += 1 }
                if !inString {
                    if c == 34 { inString = true } else if c == 123 || c == 91 { depth += 1 } else if c == 125 || c == 93 { depth -= 1 }
                    if depth == 0 { state = .between; wrapper = false; base = 0; mode = .pretty }
                } else if escape { escape = false } else if c == 92 { escape = true } else if c == 34 { inString = false }
            case .garbage:
                if c == 10 {
                    finishBad(chunk, seg: seg, end: i, reason: "not-json", emit: emit)
                    line += 1
                    state = .between
                }
            case .inRecord:
                // Most of a record is string bytes and plain value bytes: skip runs of them in one
                // tight loop instead of one trip through this state machine per byte.
                if probe <= 0 && !escape {
                    let j = inString ? Self.skipStringBytes(chunk, from: i, to: n) : Self.skipPlainBytes(chunk, from: i, to: n)
                    if j > i {
                        i = j
                        continue
                    }
                }
                if c == 10 { line += 1; sawNewline = true }
                if probe > 0 && !(c == 32 || c == 9 || c == 10 || c == 13) {
                    if c == Self.wrapperPattern[probe] {
                        probe += 1
                        if probe == Self.wrapperPattern.count {
                            // `{"Records":[` seen: elements at depth 2 are the records.
                            wrapper = true
                            base = 2
                            depth = 2
                            state = .between
                            inString = false
                            mode = .pretty
                            buf.removeAll(keepingCapacity: true)
                            i += 1
                            continue
                        }
                    } else {
                        probe = -1
                    }
                }
                if inString {
                    if escape { escape = false } else if c == 92 { escape = true } else if c == 34 { inString = false }
                    else if c == 10 && mode == .lines && !wrapper {
                        // A raw newline cannot be inside a JSON string: this line was cut short.
                        finishBad(chunk, seg: seg, end: i, reason: "truncated-record", emit: emit)
                        depth = base
                        state = .between
                    }
                } else {
                    switch c {
                    case 34: inString = true
                    case 123, 91: depth += 1
                    case 125, 93:
                        depth -= 1
                        if depth == base {
                            finishRecord(chunk, seg: seg, end: i + 1, emit: emit)
                            state = .between
                        }
                    case 10:
                        if mode == .lines && !wrapper {
                            finishBad(chunk, seg: seg, end: i, reason: "truncated-record", emit: emit)
                            depth = base
                            state = .between
                        }
                    default:
                        if c < 32 && c != 9 && c != 13 || c >= 0x80 {
                            // Cannot occur outside a JSON string: resynchronise at the next newline.
                            state = .garbage
                            depth = base
                        }
                    }
                }
            }
            i += 1
        }
        if state == .inRecord || state == .garbage { keep(chunk, from: seg, to: n) }
        offset += Int64(n)
    }

    /// Index of the next `\n` at or after `from`, or nil.
    @inline(__always)
    static func lineEnd(_ chunk: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard let base = chunk.baseAddress, let p = memchr(base + from, 10, chunk.count - from) else { return nil }
        return UnsafeRawPointer(p) - base
    }

    /// Does `chunk[from..<to]` open with `{"Records":[` (blanks allowed between its tokens, as the
    /// byte-wise probe allows them)?
    static func opensWrapper(_ chunk: UnsafeRawBufferPointer, from: Int, to: Int) -> Bool {
        var k = 0
        var i = from
        while i < to {
            let c = chunk[i]
            i += 1
            if k > 0 && (c == 32 || c == 9 || c == 13) { continue }
            guard c == wrapperPattern[k] else { return false }
            k += 1
            if k == wrapperPattern.count { return true }
        }
        return false
    }

    /// The first index at or after `i` of a byte that matters inside a string (`"`, `\\`, newline),
    /// or `n`. Sixteen bytes at a time.
    @inline(__always)
    static func skipStringBytes(_ chunk: UnsafeRawBufferPointer, from start: Int, to n: Int) -> Int {
        var i = start
        let base = chunk.baseAddress!
        let quote = SIMD16<UInt8>(repeating: 34), backslash = SIMD16<UInt8>(repeating: 92), newline = SIMD16<UInt8>(repeating: 10)
        while i &+ 16 <= n {
            let v = base.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            if any((v .== quote) .| (v .== backslash) .| (v .== newline)) { break }
            i &+= 16
        }
        while i < n {
            let c = base.load(fromByteOffset: i, as: UInt8.self)
            if c == 34 || c == 92 || c == 10 { return i }
            i &+= 1
        }
        return i
    }

    /// The first index at or after `i` of a byte that matters outside strings (quotes, brackets,
    /// braces, newline, control bytes and non-ASCII bytes, which cannot occur there), or `n`.
    @inline(__always)
    static func skipPlainBytes(_ chunk: UnsafeRawBufferPointer, from start: Int, to n: Int) -> Int {
        var i = start
        let base = chunk.baseAddress!
        while i < n {
            let c = base.load(fromByteOffset: i, as: UInt8.self)
            if c < 32 {
                if c != 9 && c != 13 { return i }   // tab and CR are whitespace here
            } else if c == 34 || c == 123 || c == 125 || c == 91 || c == 93 || c >= 0x80 {
                return i
            }
            i &+= 1
        }
        return i
    }

    /// Ends the stream: an unfinished record is reported as `truncated-record` (or `not-json`).
    public mutating func finish(emit: (Frame) -> Void) {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        switch state {
        case .inRecord: finishBad(empty, seg: 0, end: 0, reason: "truncated-record", emit: emit)
        case .garbage: finishBad(empty, seg: 0, end: 0, reason: "not-json", emit: emit)
        case .wrapperTail, .between: break
        }
        state = .between
        depth = base
    }

    private mutating func begin(at i: Int, chunkOffset: Int64) {
        state = .inRecord
        inString = false
        escape = false
        skipping = false
        sawNewline = false
        buf.removeAll(keepingCapacity: true)
        bufLen = 0
        recOffset = chunkOffset + Int64(i)
        recLine = line
    }

    /// Buffers `chunk[from..<to]` of the current record, switching to skip mode past the cap.
    private mutating func keep(_ chunk: UnsafeRawBufferPointer, from: Int, to: Int) {
        guard to > from else { return }
        bufLen += to - from
        if skipping { return }
        if bufLen > maxRecordBytes {
            skipping = true
            let room = max(0, Limits.deadLetterExcerpt - buf.count)
            if room > 0 { buf.append(contentsOf: chunk[from..<min(to, from + room)]) }
            if buf.count > Limits.deadLetterExcerpt { buf.removeLast(buf.count - Limits.deadLetterExcerpt) }
            return
        }
        buf.append(contentsOf: chunk[from..<to])
    }

    private mutating func finishRecord(_ chunk: UnsafeRawBufferPointer, seg: Int, end: Int, emit: (Frame) -> Void) {
        if mode == .unknown && !wrapper { mode = sawNewline ? .pretty : .lines }
        let total = bufLen + (end - seg)
        if skipping || total > maxRecordBytes {
            keep(chunk, from: seg, to: end)
            emit(.bad(reason: "record-too-large", excerpt: Array(buf.prefix(Limits.deadLetterExcerpt)),
                      length: total, offset: recOffset, line: recLine))
        } else if buf.isEmpty {
            emit(.record(UnsafeRawBufferPointer(rebasing: chunk[seg..<end]), offset: recOffset, line: recLine))
        } else {
            buf.append(contentsOf: chunk[seg..<end])
            buf.withUnsafeBytes { emit(.record($0, offset: recOffset, line: recLine)) }
        }
        buf.removeAll(keepingCapacity: buf.count <= 1 << 16)
        bufLen = 0
    }

    private mutating func finishBad(_ chunk: UnsafeRawBufferPointer, seg: Int, end: Int, reason: String, emit: (Frame) -> Void) {
        let total = bufLen + max(0, end - seg)
        if buf.count < Limits.deadLetterExcerpt && end > seg {
            buf.append(contentsOf: chunk[seg..<min(end, seg + Limits.deadLetterExcerpt - buf.count)])
        }
        emit(.bad(reason: reason, excerpt: Array(buf.prefix(Limits.deadLetterExcerpt)), length: total,
                  offset: recOffset, line: recLine))
        buf.removeAll(keepingCapacity: buf.count <= 1 << 16)
        bufLen = 0
        inString = false
        escape = false
    }
}
