/// # VigilFraming
///
/// Turns a byte stream into records: ``StreamDecoder`` removes gzip (multi-member) or zstd
/// compression, recognised by magic bytes, as a stream; ``JSONFramer`` cuts the decoded bytes into
/// one JSON object per record, whether the input is JSON lines, a pretty-printed file, or a
/// CloudTrail delivery file `{"Records":[...]}` (each array element becomes a record).
///
/// ```swift
/// var framer = JSONFramer(maxRecordBytes: 1 << 20)
/// let decoder = StreamDecoder()
/// try decoder.decode(chunk, final: false) { bytes in framer.push(bytes) { frame in handle(frame) } }
/// ```
///
/// Nothing here reads files or the clock; both types take chunks of any size, and produce the same
/// frames whatever the chunking (tested against an oracle with every chunk size).
public enum VigilFraming {}

/// Why a decoder gave up on a stream.
public enum FramingError: Error, Equatable, Sendable {
    /// The compressed stream ended in the middle of a member/frame.
    case truncated(format: String)
    /// The compressed stream is not valid (bad header, CRC, data).
    case corrupt(format: String, detail: String)

    /// Dead-letter reason for this error.
    public var reason: String {
        switch self {
        case .truncated: return "truncated-input"
        case .corrupt: return "corrupt-input"
        }
    }

    public var detail: String {
        switch self {
        case .truncated(let f): return "\(f) stream ends mid-frame"
        case .corrupt(let f, let d): return "\(f): \(d)"
        }
    }
}
