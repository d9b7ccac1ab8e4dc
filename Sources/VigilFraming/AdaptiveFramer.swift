import VigilCore

/// Frames an input whose kind shows in its first byte: JSON (`{` or `[`: ``JSONFramer``) or text
/// lines (anything else: ``LineSplitter``, one record per non-empty line, for line formats such as
/// S3 server access logs). Decided once per input at its first non-whitespace byte.
public struct AdaptiveFramer {
    enum Mode { case undecided, json, lines }
    private var mode = Mode.undecided
    private var json: JSONFramer
    private var lines: LineSplitter
    private var pending: [UInt8] = []

    /// `startOffset`/`startLine`: where the first pushed byte sits in the whole stream, for a reader
    /// that resumes at a record boundary part-way through a file.
    public init(maxRecordBytes: Int = Limits.defaultMaxRecordBytes, startOffset: Int64 = 0, startLine: Int64 = 1) {
        json = JSONFramer(maxRecordBytes: maxRecordBytes, startOffset: startOffset, startLine: startLine)
        lines = LineSplitter(maxLineBytes: maxRecordBytes, startOffset: startOffset, startLine: startLine)
    }

    public mutating func push(_ chunk: UnsafeRawBufferPointer, emit: (Frame) -> Void) {
        push(chunk, take: { _, _, _ in false }, emit: emit)
    }

    /// ``push(_:emit:)`` that offers JSON lines to `take` first (``JSONFramer/push(_:take:emit:)``).
    public mutating func push(_ chunk: UnsafeRawBufferPointer, take: (UnsafeRawBufferPointer, Int64, Int64) -> Bool,
                              emit: (Frame) -> Void) {
        if mode == .undecided {
            pending.append(contentsOf: chunk)
            guard let first = pending.first(where: { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }) else { return }
            mode = (first == 123 || first == 91) ? .json : .lines
            let held = pending
            pending = []
            held.withUnsafeBytes { route($0, take, emit) }
            return
        }
        route(chunk, take, emit)
    }

    public mutating func finish(emit: (Frame) -> Void) {
        switch mode {
        case .json: json.finish(emit: emit)
        case .lines: lines.finish { piece in Self.frame(piece, emit) }
        case .undecided: break   // only whitespace, or nothing
        }
    }

    private mutating func route(_ chunk: UnsafeRawBufferPointer, _ take: (UnsafeRawBufferPointer, Int64, Int64) -> Bool,
                                _ emit: (Frame) -> Void) {
        switch mode {
        case .json: json.push(chunk, take: take, emit: emit)
        case .lines: lines.push(chunk) { piece in Self.frame(piece, emit) }
        case .undecided: break
        }
    }

    private static func frame(_ piece: LineSplitter.Piece, _ emit: (Frame) -> Void) {
        switch piece {
        case let .line(b, number, offset):
            if b.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
            emit(.record(b, offset: offset, line: number))
        case let .tooLong(length, number, offset):
            emit(.bad(reason: "record-too-large", excerpt: [], length: length, offset: offset, line: number))
        }
    }
}
