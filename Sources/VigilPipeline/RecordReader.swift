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
    private let decoder = StreamDecoder()
    private var framer: AdaptiveFramer
    private let skipThrough: Int64
    private var failed: FramingError?
    private var decodedBytes: Int64
    /// Raw bytes pushed so far (plus the seek offset).
    public private(set) var rawBytes: Int64

    init(name: String, parser: FormatParser, maxRecordBytes: Int, resume: ResumePoint = .beginning) {
        self.name = name
        self.parser = parser
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
        if let f = failed {
            try sink(.dead(DeadLetter(reason: f.reason, position: SourcePosition(input: name, offset: decodedBytes, line: 0),
                                      excerpt: f.detail, length: 0), isRecord: false))
        }
        try sink(.inputDone(name: name, bytes: rawBytes))
    }

    private func feed(_ chunk: UnsafeRawBufferPointer, final: Bool, _ sink: (ReadItem) throws -> Void) throws {
        if failed != nil { return }
        var pending: Error?
        let skip = skipThrough
        func onFrame(_ frame: Frame) {
            guard pending == nil else { return }
            if skip >= 0, frame.offset <= skip { return }
            do { try sink(item(frame)) } catch { pending = error }
        }
        do {
            try decoder.decode(chunk, final: final) { out in
                decodedBytes += Int64(out.count)
                framer.push(out, emit: onFrame)
            }
        } catch let e as FramingError {
            failed = e
        }
        if final || failed != nil { framer.finish(emit: onFrame) }
        if let p = pending { throw p }
    }

    func item(_ frame: Frame) -> ReadItem {
        switch frame {
        case let .bad(reason, excerpt, length, offset, line):
            return .dead(DeadLetter(reason: reason, position: SourcePosition(input: name, offset: offset, line: line),
                                    excerpt: String(decoding: excerpt, as: UTF8.self), length: length), isRecord: true)
        case let .record(bytes, offset, line):
            let pos = SourcePosition(input: name, offset: offset, line: line)
            switch parser.parse(bytes, position: pos) {
            case .bad(let reason): return .dead(DeadLetter(reason: reason, position: pos, bytes: bytes), isRecord: true)
            case .event(let e): return .event(e)
            }
        }
    }
}

/// The reading half for whole inputs: input → decoder → framer → parser. Pure per input (no shared
/// state), so it can run on its own thread ahead of detection without changing what comes out.
struct RecordReader: Sendable {
    let parser: FormatParser
    let maxRecordBytes: Int
    /// Inputs partly processed before a restart, by name.
    var resume: [String: ResumePoint] = [:]

    /// Reads one input, handing each item to `sink` in order. Throws only for unreadable inputs (or
    /// when `sink` throws); damaged compressed data becomes a dead letter and ends that input.
    func read(_ input: Input, _ sink: (ReadItem) throws -> Void) throws {
        let start = resume[input.name] ?? .beginning
        let stream = RecordStream(name: input.name, parser: parser, maxRecordBytes: maxRecordBytes, resume: start)
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
