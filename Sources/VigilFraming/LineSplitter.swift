import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a decoded byte stream into lines (without their `\n`, a trailing `\r` removed), for line
/// formats such as CSV. Lines longer than `maxLineBytes` are reported as too long, not buffered.
/// O(1) per byte; memory bounded by the cap.
public struct LineSplitter {
    public enum Piece {
        case line(UnsafeRawBufferPointer, number: Int64, offset: Int64)
        case tooLong(length: Int, number: Int64, offset: Int64)
    }

    public let maxLineBytes: Int
    private var buf: [UInt8] = []
    private var length = 0
    private var number: Int64 = 1
    private var consumed: Int64 = 0     // bytes before the current chunk
    private var lineStart: Int64 = 0    // offset of the current line's first byte

    /// `startOffset`/`startLine`: where the first pushed byte sits in the whole stream (resuming).
    public init(maxLineBytes: Int = Limits.defaultMaxRecordBytes, startOffset: Int64 = 0, startLine: Int64 = 1) {
        self.maxLineBytes = maxLineBytes
        consumed = startOffset
        lineStart = startOffset
        number = startLine
    }

    public mutating func push(_ chunk: UnsafeRawBufferPointer, emit: (Piece) -> Void) {
        var start = 0
        defer { consumed += Int64(chunk.count) }
        while start < chunk.count {
            guard let nl = Self.newline(in: chunk, from: start) else {
                keep(chunk, start, chunk.count)
                return
            }
            if buf.isEmpty && length == 0 {
                emitLine(UnsafeRawBufferPointer(rebasing: chunk[start..<nl]), emit)
            } else {
                keep(chunk, start, nl)
                finishBuffered(emit)
            }
            number += 1
            start = nl + 1
            lineStart = consumed + Int64(start)
        }
    }

    /// The index of the next `\n` at or after `start` (`memchr`: lines are found a word at a time).
    @inline(__always) static func newline(in chunk: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < chunk.count, let base = chunk.baseAddress, let p = memchr(base + start, 10, chunk.count - start) else { return nil }
        return UnsafeRawPointer(p) - base
    }

    public mutating func finish(emit: (Piece) -> Void) {
        if length > 0 { finishBuffered(emit) }
    }

    private mutating func keep(_ chunk: UnsafeRawBufferPointer, _ a: Int, _ b: Int) {
        length += b - a
        if length <= maxLineBytes { buf.append(contentsOf: chunk[a..<b]) }
    }

    private mutating func finishBuffered(_ emit: (Piece) -> Void) {
        if length > maxLineBytes {
            emit(.tooLong(length: length, number: number, offset: lineStart))
        } else {
            buf.withUnsafeBytes { emitLine($0, emit) }
        }
        buf.removeAll(keepingCapacity: true)
        length = 0
    }

    private func emitLine(_ b: UnsafeRawBufferPointer, _ emit: (Piece) -> Void) {
        if b.count > maxLineBytes { emit(.tooLong(length: b.count, number: number, offset: lineStart)); return }
        let trimmed = b.last == 13 ? UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 1)]) : b
        emit(.line(trimmed, number: number, offset: lineStart))
    }
}
