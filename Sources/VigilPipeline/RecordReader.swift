import VigilCore
import VigilFraming
import VigilParsing
import VigilSources

/// What the reading half of the pipeline hands to the detecting half, in input order.
public enum ReadItem: Sendable {
    case event(AccessEvent)
    /// A record that could not be used (`isRecord`: it was a framed record, not a stream failure).
    case dead(DeadLetter, isRecord: Bool)
    /// An input finished: its name and raw byte count.
    case inputDone(name: String, bytes: Int64)
    /// Raw bytes read so far from the current input (for progress display only).
    case progress(bytes: Int64)
    /// The merge of several inputs opened this one (a resumed run opens it again: `InputMerger`).
    case opened(name: String)
    /// Which parser path the records read since the last such item took (for `--stats`), and the
    /// events counted without being built (`--parse-only`).
    case parsed(ParseCounts)

    /// Where the record sits, for items that are records (events and record dead letters).
    var recordPosition: SourcePosition? {
        switch self {
        case .event(let e): return e.position
        case .dead(let d, true): return d.position
        default: return nil
        }
    }
}

/// One input read incrementally: push bytes as they arrive, in any chunking, and get items out in
/// order. Replay pushes a whole file; tail pushes whatever was appended since the last look. A
/// record cut by a chunk boundary waits for the rest (so a partial last line waits for its newline).
public final class RecordStream {
    public let name: String
    let parser: FormatParser
    /// `--parse-only`: events are checked and counted, not built.
    let countOnly: Bool
    private var counts = ParseCounts()
    private let decoder = StreamDecoder()
    private var framer: AdaptiveFramer
    private let skipThrough: Int64
    private var failed: FramingError?
    private var decodedBytes: Int64
    /// Raw bytes pushed so far (plus the seek offset).
    public private(set) var rawBytes: Int64

    /// The reading thread's table of repeated values (``SymbolTable``).
    let symbols: SymbolTable

    init(name: String, parser: FormatParser, maxRecordBytes: Int, resume: ResumePoint = .beginning, countOnly: Bool = false,
         symbols: SymbolTable = SymbolTable()) {
        self.name = name
        self.parser = parser
        self.symbols = symbols
        self.countOnly = countOnly
        framer = AdaptiveFramer(maxRecordBytes: maxRecordBytes, startOffset: resume.seek, startLine: resume.line)
        skipThrough = resume.skipThrough
        decodedBytes = resume.seek
        rawBytes = resume.seek
    }

    /// Decodes, frames and parses `chunk`, handing each finished record to `sink`.
    func push(_ chunk: UnsafeRawBufferPointer, _ sink: (ReadItem) throws -> Void) throws {
        rawBytes += Int64(chunk.count)
        try feed(chunk, final: false, sink)
    }

    /// The input ended: flushes a last record without its newline, reports damaged compressed data
    /// as a dead letter, then `inputDone`.
    func finish(_ sink: (ReadItem) throws -> Void) throws {
        try feed(UnsafeRawBufferPointer(start: nil, count: 0), final: true, sink)
        try finishItems(sink)
    }

    /// What ends an input: the decoder's failure as a dead letter, then `inputDone`.
    private func finishItems(_ sink: (ReadItem) throws -> Void) throws {
        if let f = failed {
            try sink(.dead(DeadLetter(reason: f.reason, position: SourcePosition(input: name, offset: decodedBytes, line: 0),
                                      excerpt: f.detail, length: 0), isRecord: false))
        }
        try sink(.inputDone(name: name, bytes: rawBytes))
    }

    /// Bytes another thread already decoded (``DecodeAhead``): frames and parses them. `rawBytes`:
    /// raw bytes of the input read so far.
    func pushDecoded(_ decoded: UnsafeRawBufferPointer, rawBytes raw: Int64, _ sink: (ReadItem) throws -> Void) throws {
        rawBytes = raw
        try frame(final: false, sink) { frameDecoded in frameDecoded(decoded) }
    }

    /// The end of an input decoded by another thread, with the decoder's failure if it had one:
    /// as ``finish(_:)``.
    func finishDecoded(failure: FramingError?, rawBytes raw: Int64, _ sink: (ReadItem) throws -> Void) throws {
        rawBytes = raw
        if failed == nil { failed = failure }
        try frame(final: true, sink) { _ in }
        try finishItems(sink)
    }

    private func feed(_ chunk: UnsafeRawBufferPointer, final: Bool, _ sink: (ReadItem) throws -> Void) throws {
        if failed != nil { return }
        try frame(final: final, sink) { frameDecoded in
            do {
                try decoder.decode(chunk, final: final) { out in frameDecoded(out) }
            } catch let e as FramingError {
                failed = e
            }
        }
    }

    /// Runs `produce`, which hands decoded bytes to the function it is given, through framer and
    /// parser; then, at the end of the input (or after a decoding failure), flushes the framer.
    private func frame(final: Bool, _ sink: (ReadItem) throws -> Void,
                       _ produce: ((UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in try frame(final: final, escaping: sink, produce) }
    }

    private func frame(final: Bool, escaping sink: @escaping (ReadItem) throws -> Void,
                       _ produce: ((UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        var pending: Error?
        let skip = skipThrough
        func onFrame(_ frame: Frame) {
            guard pending == nil else { return }
            if skip >= 0, frame.offset <= skip { return }
            do { try sink(item(frame)) } catch { pending = error }
        }
        // A whole JSON line goes straight to the parser's fast path; what it does not take is
        // framed byte by byte and parsed as before.
        func onLine(_ line: UnsafeRawBufferPointer, _ offset: Int64, _ number: Int64) -> Bool {
            guard pending == nil else { return true }
            if skip >= 0, offset <= skip { return false }
            let pos = SourcePosition(input: name, offset: offset, line: number)
            switch parser.parseLine(line, position: pos, countOnly: countOnly, symbols: symbols) {
            case .fallback:
                return false
            case .counted:
                counts.fast += 1
                counts.counted += 1
            case let .record(result, bytes):
                counts.fast += 1
                do { try sink(item(result, pos, bytes)) } catch { pending = error }
            }
            return true
        }
        try produce { out in
            decodedBytes += Int64(out.count)
            framer.push(out, take: onLine, emit: onFrame)
        }
        if final || failed != nil { framer.finish(emit: onFrame) }
        if let p = pending { throw p }
        if !counts.isEmpty {
            var c = counts
            (c.symbols, c.symbolBytes, c.symbolResets) = (symbols.count, symbols.bytes, symbols.resets)
            counts = ParseCounts()
            try sink(.parsed(c))
        }
    }

    func item(_ frame: Frame) -> ReadItem {
        switch frame {
        case let .bad(reason, excerpt, length, offset, line):
            return .dead(DeadLetter(reason: reason, position: SourcePosition(input: name, offset: offset, line: line),
                                    excerpt: String(decoding: excerpt, as: UTF8.self), length: length), isRecord: true)
        case let .record(bytes, offset, line):
            let pos = SourcePosition(input: name, offset: offset, line: line)
            var path = ParsePath.full
            let result = parser.parse(bytes, position: pos, path: &path, symbols: symbols)
            switch path {
            case .fast: counts.fast += 1
            case .full: counts.full += 1
            case .timeFallback: counts.full += 1; counts.timeFallback += 1
            case .unwrapped: counts.full += 1; counts.unwrapped += 1
            }
            return item(result, pos, bytes)
        }
    }

    private func item(_ result: ParseResult, _ pos: SourcePosition, _ bytes: UnsafeRawBufferPointer) -> ReadItem {
        switch result {
        case .bad(let reason): return .dead(DeadLetter(reason: reason, position: pos, bytes: bytes), isRecord: true)
        case .event(let e): return .event(e)
        }
    }
}

/// Records by parser path, and events counted without being built (`--parse-only`).
public struct ParseCounts: Sendable {
    public var fast = 0
    public var full = 0
    /// Of `full`: times taken from `@timestamp`, records unwrapped from an envelope.
    public var timeFallback = 0
    public var unwrapped = 0
    public var counted = 0
    /// The reading thread's symbol table as it stands (gauges, not increments).
    public var symbols = 0
    public var symbolBytes = 0
    public var symbolResets = 0
    var isEmpty: Bool { fast == 0 && full == 0 && counted == 0 }
}

/// The reading half for whole inputs: input → decoder → framer → parser. Pure per input (no shared
/// state), so it can run on its own thread ahead of detection without changing what comes out.
struct RecordReader: Sendable {
    let parser: FormatParser
    let maxRecordBytes: Int
    /// The Strings of repeated values, shared by every input this reader reads (one thread).
    let symbols = SymbolTable()
    /// Inputs partly processed before a restart, by name.
    var resume: [String: ResumePoint] = [:]
    /// `--parse-only`: events are checked and counted, not built.
    var countOnly = false
    /// Read and decompress on a thread of their own (``DecodeAhead``), frame and parse on this one.
    var decodeAhead = false

    /// Reads one input, handing each item to `sink` in order. Throws only for unreadable inputs (or
    /// when `sink` throws); damaged compressed data becomes a dead letter and ends that input.
    func read(_ input: Input, _ sink: (ReadItem) throws -> Void) throws {
        let start = resume[input.name] ?? .beginning
        let stream = RecordStream(name: input.name, parser: parser, maxRecordBytes: maxRecordBytes, resume: start, countOnly: countOnly,
                                  symbols: symbols)
        if decodeAhead {
            let ahead = DecodeAhead()
            ahead.start(input, seek: start.seek)
            do {
                while let piece = try ahead.next() {
                    try piece.bytes.withUnsafeBytes { try stream.pushDecoded($0, rawBytes: piece.rawBytes, sink) }
                    ahead.recycle(piece.bytes)
                    try sink(.progress(bytes: stream.rawBytes))
                }
            } catch {
                ahead.cancel()
                throw error
            }
            let end = ahead.ending()
            try stream.finishDecoded(failure: end.failure, rawBytes: end.rawBytes, sink)
            return
        }
        try ChunkReader.read(input, from: start.seek) { chunk, final in
            if final {
                try stream.finish(sink)
            } else {
                try stream.push(chunk, sink)
                try sink(.progress(bytes: stream.rawBytes))
            }
        }
    }
}

extension Frame {
    /// The decoded-stream offset where this frame begins.
    var offset: Int64 {
        switch self {
        case .record(_, let o, _): return o
        case .bad(_, _, _, let o, _): return o
        }
    }
}
