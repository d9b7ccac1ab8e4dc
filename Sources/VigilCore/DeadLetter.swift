/// A record Vigil could not use, with where it was and why. Written to `--dead-letter` and counted.
public struct DeadLetter: Sendable, Equatable {
    /// Short machine reason: `not-json`, `invalid-utf8`, `record-too-large`, `missing-time`,
    /// `truncated-input`, `corrupt-input`, `not-cloudtrail`, ...
    public var reason: String
    public var position: SourcePosition
    /// First bytes of the record (lossily decoded) for a person to look at.
    public var excerpt: String
    /// Full length of the bad record in bytes.
    public var length: Int

    public init(reason: String, position: SourcePosition, bytes: UnsafeRawBufferPointer) {
        self.reason = reason
        self.position = position
        self.length = bytes.count
        self.excerpt = Redaction.secrets(in: String(decoding: bytes.prefix(Limits.deadLetterExcerpt), as: UTF8.self))
    }

    public init(reason: String, position: SourcePosition, excerpt: String, length: Int) {
        self.reason = reason
        self.position = position
        self.excerpt = Redaction.secrets(in: excerpt)
        self.length = length
    }

    /// One JSON line for the dead-letter file.
    public func jsonLine() -> String {
        var o = "{\"reason\":"
        JSONText.appendString(reason, to: &o)
        o += ",\"input\":"
        JSONText.appendString(position.input, to: &o)
        o += ",\"offset\":\(position.offset),\"line\":\(position.line),\"length\":\(length),\"excerpt\":"
        JSONText.appendString(excerpt, to: &o)
        o += "}"
        return o
    }
}
