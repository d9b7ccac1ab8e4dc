import CZlib
import CZstd

/// Decodes plain, gzip (any number of members, as CloudTrail writes) or zstd bytes as a stream.
///
/// Why streaming: archives are large and a record may straddle members; the whole file is never
/// held in memory. Output goes to the caller's closure in pieces of at most `outputChunk` bytes.
/// Cost is O(input + output); memory is two fixed buffers plus the codec state.
public final class StreamDecoder {
    public enum Format: String, Sendable { case plain, gzip, zstd }

    /// The detected format (`nil` until the first 4 bytes, or the end, have been seen).
    public private(set) var format: Format?
    private var head: [UInt8] = []
    private var zs = z_stream()
    private var zInit = false
    private var zInMember = false
    private var dctx: OpaquePointer?
    private var zstdPending = false
    private var out: [UInt8]
    private var failed: FramingError?

    public init(outputChunk: Int = 256 * 1024) {
        out = [UInt8](repeating: 0, count: outputChunk)
    }

    deinit {
        if zInit { inflateEnd(&zs) }
        if let d = dctx { ZSTD_freeDCtx(d) }
    }

    /// Feeds `input`; `final` marks the end of the stream. Throws when the stream is corrupt or,
    /// at the end, truncated. Bytes decoded before an error have already been handed to `output`.
    public func decode(_ input: UnsafeRawBufferPointer, final: Bool,
                       output: (UnsafeRawBufferPointer) -> Void) throws {
        if let f = failed { throw f }
        if format == nil {
            head.append(contentsOf: input)
            if head.count < 4 && !final { return }
            format = Self.detect(head)
            let h = head
            head = []
            try h.withUnsafeBytes { b in try route(b, final: final, output: output) }
            return
        }
        try route(input, final: final, output: output)
    }

    static func detect(_ h: [UInt8]) -> Format {
        if h.count >= 2, h[0] == 0x1f, h[1] == 0x8b { return .gzip }
        if h.count >= 4, h[0] == 0x28, h[1] == 0xb5, h[2] == 0x2f, h[3] == 0xfd { return .zstd }
        return .plain
    }

    private func route(_ input: UnsafeRawBufferPointer, final: Bool,
                       output: (UnsafeRawBufferPointer) -> Void) throws {
        do {
            switch format ?? .plain {
            case .plain: if input.count > 0 { output(input) }
            case .gzip: try gunzip(input, final: final, output: output)
            case .zstd: try unzstd(input, final: final, output: output)
            }
        } catch let e as FramingError {
            failed = e
            throw e
        }
    }

    private func gunzip(_ input: UnsafeRawBufferPointer, final: Bool,
                        output: (UnsafeRawBufferPointer) -> Void) throws {
        if !zInit {
            // 15 + 32: gzip or zlib header, auto-detected (inflateInit2 is a macro in C).
            guard inflateInit2_(&zs, 47, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw FramingError.corrupt(format: "gzip", detail: "cannot initialise zlib")
            }
            zInit = true
        }
        guard let base = input.baseAddress, input.count > 0 else {
            if final && zInMember { throw FramingError.truncated(format: "gzip") }
            return
        }
        var consumed = 0
        while consumed < input.count {
            let remaining = input.count - consumed
            if !zInMember {
                // Between members: skip zero padding; anything else must be a new gzip header.
                if input[consumed] == 0 { consumed += 1; continue }
                zInMember = true
            }
            zs.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self) + consumed)
            zs.avail_in = UInt32(remaining)
            var rc: Int32 = Z_OK
            repeat {
                let produced: Int = out.withUnsafeMutableBytes { ob in
                    zs.next_out = ob.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    zs.avail_out = UInt32(ob.count)
                    rc = inflate(&zs, Z_NO_FLUSH)
                    return ob.count - Int(zs.avail_out)
                }
                if produced > 0 { out.withUnsafeBytes { output(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
                if rc == Z_STREAM_END { break }
                if rc != Z_OK && rc != Z_BUF_ERROR {
                    throw FramingError.corrupt(format: "gzip", detail: zs.msg.map { String(cString: $0) } ?? "inflate error \(rc)")
                }
                if rc == Z_BUF_ERROR && zs.avail_in == 0 { break }
            } while zs.avail_in > 0 || zs.avail_out == 0
            consumed = input.count - Int(zs.avail_in)
            if rc == Z_STREAM_END {
                zInMember = false
                inflateReset(&zs)
            }
        }
        if final && zInMember { throw FramingError.truncated(format: "gzip") }
    }

    private func unzstd(_ input: UnsafeRawBufferPointer, final: Bool,
                        output: (UnsafeRawBufferPointer) -> Void) throws {
        if dctx == nil {
            dctx = ZSTD_createDCtx()
            guard dctx != nil else { throw FramingError.corrupt(format: "zstd", detail: "cannot create context") }
        }
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while inBuf.pos < inBuf.size {
            var ret = 0
            let produced: Int = out.withUnsafeMutableBytes { ob in
                var outBuf = ZSTD_outBuffer(dst: ob.baseAddress, size: ob.count, pos: 0)
                ret = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
                return outBuf.pos
            }
            if ZSTD_isError(ret) != 0 {
                throw FramingError.corrupt(format: "zstd", detail: String(cString: ZSTD_getErrorName(ret)))
            }
            zstdPending = ret != 0
            if produced > 0 { out.withUnsafeBytes { output(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
        }
        // Drain output the decoder may still hold once input is exhausted.
        while zstdPending {
            var ret = 0
            let produced: Int = out.withUnsafeMutableBytes { ob in
                var outBuf = ZSTD_outBuffer(dst: ob.baseAddress, size: ob.count, pos: 0)
                var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
                ret = ZSTD_decompressStream(dctx, &outBuf, &empty)
                return outBuf.pos
            }
            if ZSTD_isError(ret) != 0 { throw FramingError.corrupt(format: "zstd", detail: String(cString: ZSTD_getErrorName(ret))) }
            if produced > 0 { out.withUnsafeBytes { output(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if produced == 0 { break }
            zstdPending = ret != 0
        }
        if final && zstdPending { throw FramingError.truncated(format: "zstd") }
    }
}
