import VigilCore
import VigilFraming
import VigilParsing
import VigilSources

/// What the reading half of the pipeline hands to the detecting half, in input order.
enum ReadItem: Sendable {
    case event(AccessEvent)
    /// A record that could not be used (`isRecord`: it was a framed record, not a stream failure).
    case dead(DeadLetter, isRecord: Bool)
    /// An input finished: its raw byte count.
    case inputDone(bytes: Int64)
    /// Raw bytes read so far from the current input (for progress display only).
    case progress(bytes: Int64)
}

/// The reading half: input → decoder → framer → parser. Pure per input (no shared state), so it can
/// run on its own thread ahead of detection without changing what comes out or in which order.
struct RecordReader: Sendable {
    let parser: FormatParser
    let maxRecordBytes: Int

    /// Reads one input, handing each item to `sink` in order. Throws only for unreadable inputs (or
    /// when `sink` throws); damaged compressed data becomes a dead letter and ends that input.
    func read(_ input: Input, _ sink: (ReadItem) throws -> Void) throws {
        let decoder = StreamDecoder()
        var framer = AdaptiveFramer(maxRecordBytes: maxRecordBytes)
        let name = input.name
        var failed: FramingError?
        var pending: Error?
        var decodedBytes: Int64 = 0
        var rawBytes: Int64 = 0
        func onFrame(_ frame: Frame) {
            guard pending == nil else { return }
            do { try sink(item(frame, input: name)) } catch { pending = error }
        }
        try ChunkReader.read(input) { chunk, final in
            rawBytes += Int64(chunk.count)
            if chunk.count > 0 { try sink(.progress(bytes: rawBytes)) }
            if failed != nil { return }
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
        if let f = failed {
            try sink(.dead(DeadLetter(reason: f.reason, position: SourcePosition(input: name, offset: decodedBytes, line: 0),
                                      excerpt: f.detail, length: 0), isRecord: false))
        }
        try sink(.inputDone(bytes: rawBytes))
    }

    func item(_ frame: Frame, input: String) -> ReadItem {
        switch frame {
        case let .bad(reason, excerpt, length, offset, line):
            return .dead(DeadLetter(reason: reason, position: SourcePosition(input: input, offset: offset, line: line),
                                    excerpt: String(decoding: excerpt, as: UTF8.self), length: length), isRecord: true)
        case let .record(bytes, offset, line):
            let pos = SourcePosition(input: input, offset: offset, line: line)
            switch parser.parse(bytes, position: pos) {
            case .bad(let reason): return .dead(DeadLetter(reason: reason, position: pos, bytes: bytes), isRecord: true)
            case .event(let e): return .event(e)
            }
        }
    }
}
