import VigilCore

/// Which checkpoint files make up the current checkpoint: one base, then its deltas in order.
///
/// Why a manifest: a delta alone means nothing, and a half-written file must never count. Files
/// are written first, under names nobody reads yet; the manifest that names them is then renamed
/// into place, which is atomic, so a reader sees the old chain or the new one, never a mix.
///
/// Layout: magic `VIGILMAN`, version (u32), entry count (u32), per entry kind (u8), generation
/// (u64) and file length (u64), then a CRC-32 of everything before it (u32).
public struct CheckpointManifest: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var kind: CheckpointFile.Kind
        public var generation: UInt64
        public var length: UInt64

        public var fileName: String {
            let digits = String(generation)
            let padded = String(repeating: "0", count: max(0, 12 - digits.count)) + digits
            return (kind == .base ? "base-" : "delta-") + padded + ".vcp"
        }
    }

    public var entries: [Entry]

    public static let magic: [UInt8] = Array("VIGILMAN".utf8)
    public static let version: UInt32 = 1

    public init(entries: [Entry]) { self.entries = entries }

    public var newestGeneration: UInt64 { entries.map(\.generation).max() ?? 0 }

    public func encoded() -> [UInt8] {
        var w = BinaryWriter(capacity: 20 + entries.count * 17)
        w.raw(Self.magic)
        w.u32(Self.version)
        w.u32(UInt32(entries.count))
        for e in entries {
            w.u8(UInt8(e.kind.rawValue))
            w.u64(e.generation)
            w.u64(e.length)
        }
        w.u32(CheckpointFile.crc(w.bytes[...]))
        return w.take()
    }

    public init(decoding bytes: [UInt8], path: String) throws {
        func bad(_ why: String) -> StateError { .corrupt(path, why) }
        guard bytes.count >= 20, Array(bytes[0..<8]) == Self.magic else { throw bad("not a Vigil checkpoint manifest") }
        guard CheckpointFile.crc(bytes[0..<(bytes.count - 4)]) == BinaryReader(bytes, from: bytes.count - 4).peekU32() else {
            throw bad("the manifest's checksum does not match: it is damaged")
        }
        var r = BinaryReader(bytes, from: 8, to: bytes.count - 4)
        let version = try r.u32()
        guard version == Self.version else { throw bad("manifest version \(version) is not one this Vigil reads (it reads \(Self.version))") }
        let n = Int(try r.u32())
        guard r.remaining == n * 17 else { throw bad("the manifest's length does not match its \(n) entries") }
        var entries: [Entry] = []
        for _ in 0..<n {
            guard let kind = CheckpointFile.Kind(rawValue: UInt32(try r.u8())) else { throw bad("unknown file kind in the manifest") }
            entries.append(Entry(kind: kind, generation: try r.u64(), length: try r.u64()))
        }
        guard entries.first?.kind == .base, !entries.dropFirst().contains(where: { $0.kind == .base }) else {
            throw bad("the manifest does not name one base followed by deltas")
        }
        self.init(entries: entries)
    }
}

extension BinaryReader {
    /// The u32 at the current offset, without moving (0 when fewer than 4 bytes remain).
    func peekU32() -> UInt32 {
        var copy = self
        return (try? copy.u32()) ?? 0
    }
}
