import VigilFraming

/// Whole-buffer decompression (gzip, zstd or plain, by magic bytes) for small side files such as
/// labels. Streams inside, so it handles multi-member gzip like the log path does.
public enum DecompressAll {
    public static func bytes(_ input: [UInt8]) throws -> [UInt8] {
        let d = StreamDecoder()
        var out: [UInt8] = []
        try input.withUnsafeBytes { b in
            try d.decode(b, final: true) { out.append(contentsOf: $0) }
        }
        return out
    }
}
