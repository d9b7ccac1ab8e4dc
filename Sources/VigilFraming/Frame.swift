/// One unit the framer cut from the stream: a candidate record, or bytes it could not frame.
public enum Frame {
    /// A complete JSON value (object or array), valid only during the callback.
    case record(UnsafeRawBufferPointer, offset: Int64, line: Int64)
    /// Bytes that are not a usable record; `excerpt` holds at most the first 512 of `length` bytes.
    case bad(reason: String, excerpt: [UInt8], length: Int, offset: Int64, line: Int64)
}
