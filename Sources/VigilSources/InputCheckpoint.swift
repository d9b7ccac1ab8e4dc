import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where to begin reading an input that was partly processed before a restart.
public struct ResumePoint: Sendable, Equatable {
    /// Raw offset to seek to before reading (0 unless the input is plain text, resumable by seeking).
    public var seek: Int64 = 0
    /// Line number of the byte at `seek`.
    public var line: Int64 = 1
    /// Records starting at or before this decoded offset were processed already: skipped (−1: none).
    public var skipThrough: Int64 = -1

    public init(seek: Int64 = 0, line: Int64 = 1, skipThrough: Int64 = -1) {
        self.seek = seek
        self.line = line
        self.skipThrough = skipThrough
    }

    public static let beginning = ResumePoint()
}

/// How far one input has been processed: the unit of a checkpoint's reading position.
///
/// The offset is that of the last *fully processed* record in the decoded stream (a record is
/// processed when its alerts, if any, have been handed to the writers), so a restart re-reads from
/// that record and skips it and everything before.
public struct InputCheckpoint: Codable, Sendable, Equatable {
    public var path: String
    public var identity: FileIdentity?
    /// Decoded offset of the last record processed (−1: none yet).
    public var lastRecord: Int64 = -1
    /// Line of that record.
    public var line: Int64 = 0
    /// Raw offset where reading began when it did not begin at 0 (tail starting at a file's end).
    public var from: Int64 = 0
    /// Line number at `from`.
    public var fromLine: Int64 = 1
    /// The input was read to its end (directory files, replay inputs): nothing left to do.
    public var done = false

    public init(path: String, identity: FileIdentity?) {
        self.path = path
        self.identity = identity
    }

    /// Records a processed record at `offset`/`line`.
    public mutating func advance(offset: Int64, line: Int64) {
        lastRecord = offset
        self.line = line
    }

    /// Where to resume reading the open file `fd`, or nil when it is not the file this checkpoint
    /// describes (then it is read as a new file). Plain text is resumed by seeking to the last
    /// record; compressed data and `{"Records":[...]}` files are re-read from the start, skipping
    /// what was processed.
    public func resumePoint(fd: Int32) -> ResumePoint? {
        guard let id = identity, id.matches(fd: fd) else { return nil }
        let skip = lastRecord >= 0 ? lastRecord : from - 1
        let target = lastRecord >= 0 ? lastRecord : from
        let targetLine = lastRecord >= 0 ? line : fromLine
        if InputCheckpoint.seekable(fd: fd) {
            var st = stat()
            guard fstat(fd, &st) == 0, Int64(st.st_size) >= target else { return nil }   // shrank: not the same content
            return ResumePoint(seek: target, line: targetLine, skipThrough: skip)
        }
        return ResumePoint(seek: 0, line: 1, skipThrough: skip)
    }

    /// Where an object (no descriptor, never changed) resumes: from its start, skipping through
    /// the last record processed (an object the merge had opened and nothing of it processed is
    /// opened again at its start, as the interrupted run had it).
    public func remoteResumePoint() -> ResumePoint {
        ResumePoint(seek: 0, line: 1, skipThrough: lastRecord >= 0 ? lastRecord : -1)
    }

    /// Plain text whose records can be found by seeking to a record start: not gzip or zstd, and
    /// not one JSON document wrapping its records (`[` or `{"Records":`).
    static func seekable(fd: Int32) -> Bool {
        guard let head = FileIdentity.readHead(fd, 64) else { return false }
        if head.count >= 2, head[0] == 0x1f, head[1] == 0x8b { return false }
        if head.count >= 4, head[0] == 0x28, head[1] == 0xb5, head[2] == 0x2f, head[3] == 0xfd { return false }
        let text = head.drop { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
        if text.first == UInt8(ascii: "[") { return false }
        let compact = text.filter { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }
        return !compact.starts(with: Array("{\"Records\"".utf8))
    }
}
