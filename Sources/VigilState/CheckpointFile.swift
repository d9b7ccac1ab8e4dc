import CZlib
import CZstd
import VigilCore

/// One file of a binary checkpoint: a base (everything) or a delta (what changed since the file
/// before it), made of numbered sections, each compressed and checksummed on its own.
///
/// Layout (little-endian), format version 1:
/// - header, 40 bytes: magic `VIGILCKP`, format version (u32), kind (u32: 0 base, 1 delta),
///   generation (u64), generation of its base (u64), section count (u32), CRC-32 of the 36 bytes
///   before it (u32);
/// - per section, a 32-byte header: id (u32), flags (u32: bit 0 zstd), raw length (u64), stored
///   length (u64), CRC-32 of the stored bytes (u32: any flipped bit on disk is caught, even one
///   the decompressor would not notice), CRC-32 of the 28 header bytes before it (u32);
///   then the stored bytes.
///
/// Why a checksum per section and not one per file: a damaged file is refused either way, but the
/// error can then say which part is damaged, and tests can damage each part and see it refused.
public struct CheckpointFile: Sendable {
    public enum Kind: UInt32, Sendable { case base = 0, delta = 1 }

    public var kind: Kind
    public var generation: UInt64
    public var baseGeneration: UInt64
    /// Section id → raw bytes, in the order they were written.
    public var sections: [(id: UInt32, bytes: [UInt8])]

    public static let magic: [UInt8] = Array("VIGILCKP".utf8)
    public static let formatVersion: UInt32 = 1
    static let headerBytes = 40
    static let sectionHeaderBytes = 32
    /// The largest section a reader accepts (a damaged length cannot make it allocate more).
    static let maxSectionBytes: UInt64 = 16 << 30

    public init(kind: Kind, generation: UInt64, baseGeneration: UInt64, sections: [(id: UInt32, bytes: [UInt8])]) {
        self.kind = kind
        self.generation = generation
        self.baseGeneration = baseGeneration
        self.sections = sections
    }

    public func section(_ id: UInt32) -> [UInt8]? { sections.first { $0.id == id }?.bytes }

    /// The file's bytes; sections are zstd-compressed at `level` when that makes them smaller.
    public func encoded(level: Int32 = 1) -> [UInt8] {
        // One buffer, sized for the worst case and never zero-filled: each section is compressed
        // straight into its place after its header. (A scratch buffer per section, zeroed and then
        // copied, cost as much as the compression at a million principals.)
        let capacity = sections.reduce(Self.headerBytes) { $0 + Self.sectionHeaderBytes + max($1.bytes.count, ZSTD_compressBound($1.bytes.count)) }
        return [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            var at = 0
            func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { for b in $0 { out[at] = b; at += 1 } } }
            func put64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { for b in $0 { out[at] = b; at += 1 } } }
            func crc(_ from: Int, _ n: Int) -> UInt32 { Self.crc(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[from..<(from + n)])) }
            for b in Self.magic { out[at] = b; at += 1 }
            put32(Self.formatVersion)
            put32(kind.rawValue)
            put64(generation)
            put64(baseGeneration)
            put32(UInt32(sections.count))
            put32(crc(0, 36))
            for s in sections {
                let header = at
                let body = at + Self.sectionHeaderBytes
                var stored = 0
                var packed = false
                if s.bytes.count >= 64 {
                    let n = s.bytes.withUnsafeBytes { i in
                        ZSTD_compress(out.baseAddress! + body, capacity - body, i.baseAddress, i.count, level)
                    }
                    if ZSTD_isError(n) == 0 && n < s.bytes.count {
                        stored = n
                        packed = true
                    }
                }
                if !packed {
                    s.bytes.withUnsafeBytes { i in
                        if let src = i.baseAddress { (out.baseAddress! + body).update(from: src.assumingMemoryBound(to: UInt8.self), count: i.count) }
                    }
                    stored = s.bytes.count
                }
                put32(s.id)
                put32(packed ? 1 : 0)
                put64(UInt64(s.bytes.count))
                put64(UInt64(stored))
                put32(crc(body, stored))
                put32(crc(header, 28))
                at = body + stored
            }
            count = at
        }
    }

    /// Reads a file, checking every checksum; `names` gives section ids their names for errors.
    public init(decoding bytes: [UInt8], path: String, names: (UInt32) -> String = { "\($0)" }) throws {
        func bad(_ why: String) -> StateError { .corrupt(path, why) }
        guard bytes.count >= Self.headerBytes else { throw bad("the file ends inside its header (\(bytes.count) bytes): it was cut short") }
        guard Array(bytes[0..<8]) == Self.magic else { throw bad("not a Vigil checkpoint file (wrong magic bytes)") }
        var r = BinaryReader(bytes, from: 8)
        let version = try r.u32()
        let kindRaw = try r.u32()
        let generation = try r.u64()
        let baseGeneration = try r.u64()
        let count = try r.u32()
        guard try r.u32() == Self.crc(bytes[0..<36]) else { throw bad("the header's checksum does not match: the file is damaged") }
        guard version == Self.formatVersion else { throw bad("checkpoint format \(version) is not one this Vigil reads (it reads \(Self.formatVersion))") }
        guard let kind = Kind(rawValue: kindRaw) else { throw bad("unknown checkpoint kind \(kindRaw)") }
        var sections: [(id: UInt32, bytes: [UInt8])] = []
        for i in 0..<Int(count) {
            guard r.remaining >= Self.sectionHeaderBytes else { throw bad("the file ends before section \(i + 1) of \(count): it was cut short") }
            let start = r.offset
            let id = try r.u32()
            let flags = try r.u32()
            let rawLength = try r.u64()
            let storedLength = try r.u64()
            let crc = try r.u32()
            guard try r.u32() == Self.crc(bytes[start..<(start + 28)]) else {
                throw bad("the header of section \(i + 1) of \(count) is damaged (checksum)")
            }
            let name = names(id)
            guard storedLength <= UInt64(r.remaining) else { throw bad("section \(name) is cut short (\(r.remaining) of \(storedLength) bytes)") }
            guard rawLength <= Self.maxSectionBytes else { throw bad("section \(name) claims \(rawLength) bytes") }
            let stored = Array(try r.raw(Int(storedLength)))
            guard Self.crc(stored[...]) == crc else { throw bad("section \(name) is damaged (checksum)") }
            let raw: [UInt8]
            if flags & 1 != 0 {
                guard let d = Self.decompress(stored, size: Int(rawLength)) else { throw bad("section \(name) is damaged (its compressed data does not decode)") }
                raw = d
            } else {
                raw = stored
            }
            guard raw.count == Int(rawLength) else { throw bad("section \(name) is damaged (length)") }
            sections.append((id, raw))
        }
        guard r.isAtEnd else { throw bad("\(r.remaining) bytes after the last section") }
        self.init(kind: kind, generation: generation, baseGeneration: baseGeneration, sections: sections)
    }

    public static func crc(_ b: ArraySlice<UInt8>) -> UInt32 {
        b.withUnsafeBytes { crc($0) }
    }

    static func crc(_ p: UnsafeRawBufferPointer) -> UInt32 {
        var c = crc32(0, nil, 0)
        var at = 0
        while at < p.count {   // zlib takes a 32-bit length
            let n = min(p.count - at, 1 << 30)
            c = crc32(c, p.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, uInt(n))
            at += n
        }
        return UInt32(c)
    }

    static func decompress(_ b: [UInt8], size: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: size)
        let n = out.withUnsafeMutableBytes { o in b.withUnsafeBytes { i in ZSTD_decompress(o.baseAddress, size, i.baseAddress, i.count) } }
        guard ZSTD_isError(n) == 0, n == size else { return nil }
        return out
    }
}
