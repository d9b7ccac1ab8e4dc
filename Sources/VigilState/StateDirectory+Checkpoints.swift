import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// What a state directory's checkpoint holds.
public enum StoredCheckpoint {
    /// A version 1 directory's JSON checkpoint (decompressed).
    case json([UInt8])
    /// The base and the deltas after it that read cleanly, in order. `warnings` say in plain words
    /// what was damaged and passed over (a delta, or a whole newer chain): the checkpoint used is
    /// then the last good one, as if the run had been killed before the damaged file was written.
    case binary([CheckpointFile], warnings: [String])
}

extension StateDirectory {
    var manifestPath: String { path + "/MANIFEST" }
    var previousManifestPath: String { path + "/MANIFEST.prev" }

    /// Reads the newest usable checkpoint: the current manifest's chain, cut before its first
    /// damaged delta; when its base is damaged, the previous manifest's chain. Throws when a
    /// checkpoint exists but none of it can be used (never silently starts over).
    /// `names` names section ids in messages.
    public func loadCheckpoint(names: (UInt32) -> String = { "\($0)" }) throws -> StoredCheckpoint? {
        var warnings: [String] = []
        var candidates: [CheckpointManifest] = []
        var sawManifest = false
        for p in [manifestPath, previousManifestPath] where access(p, F_OK) == 0 {
            sawManifest = true
            do {
                candidates.append(try CheckpointManifest(decoding: try SnapshotFile.readRaw(p), path: p))
            } catch {
                warnings.append("\(error)")
            }
        }
        if !sawManifest {
            guard access(legacyCheckpointPath, F_OK) == 0 else { return nil }
            return .json(try SnapshotFile.read(legacyCheckpointPath))
        }
        for (i, m) in candidates.enumerated() {
            let base: CheckpointFile
            do {
                base = try readFile(m.entries[0], names: names)
            } catch {
                warnings.append("\(error)" + (i + 1 < candidates.count ? "; trying the checkpoint chain before it" : ""))
                continue
            }
            var files = [base]
            for e in m.entries.dropFirst() {
                do {
                    files.append(try readFile(e, names: names))
                } catch {
                    warnings.append("\(error); resuming from the checkpoint before it (what follows it is read again)")
                    break
                }
            }
            manifest = m
            previousManifest = candidates.count > i + 1 ? candidates[i + 1] : nil
            return .binary(files, warnings: warnings)
        }
        throw StateError.corrupt(path, "no usable checkpoint (" + warnings.joined(separator: "; ")
            + "); to start over, move the state directory away and run again (the inputs are read from their start)")
    }

    private func readFile(_ e: CheckpointManifest.Entry, names: (UInt32) -> String) throws -> CheckpointFile {
        let p = path + "/" + e.fileName
        let bytes = try SnapshotFile.readRaw(p)
        guard UInt64(bytes.count) == e.length else {
            throw StateError.corrupt(p, "\(bytes.count) bytes where the manifest says \(e.length): the file was cut short or replaced")
        }
        let f = try CheckpointFile(decoding: bytes, path: p, names: names)
        guard f.generation == e.generation, f.kind == e.kind else {
            throw StateError.corrupt(p, "holds generation \(f.generation), the manifest names \(e.generation)")
        }
        return f
    }

    /// Writes a checkpoint file and makes it current: the file (temp, fsync, rename), then the
    /// previous manifest kept as `MANIFEST.prev`, then the new manifest renamed over the old, then
    /// the directory fsynced; files neither manifest names are removed. Returns the bytes written.
    @discardableResult
    public func commit(kind: CheckpointFile.Kind, sections: [(id: UInt32, bytes: [UInt8])], level: Int32 = 1) throws -> Int {
        let generation = max(manifest?.newestGeneration ?? 0, previousManifest?.newestGeneration ?? 0) + 1
        guard kind == .base || manifest != nil else { throw StateError.layout(path, "a delta checkpoint needs a base first") }
        let baseGeneration = kind == .base ? generation : manifest!.entries[0].generation
        let bytes = CheckpointFile(kind: kind, generation: generation, baseGeneration: baseGeneration, sections: sections).encoded(level: level)
        let entry = CheckpointManifest.Entry(kind: kind, generation: generation, length: UInt64(bytes.count))
        try bytes.withUnsafeBytes { try SnapshotFile.writeAtomically($0, to: path + "/" + entry.fileName) }
        let next = CheckpointManifest(entries: kind == .base ? [entry] : manifest!.entries + [entry])
        if let old = manifest {
            try old.encoded().withUnsafeBytes { try SnapshotFile.writeAtomically($0, to: previousManifestPath) }
        }
        try next.encoded().withUnsafeBytes { try SnapshotFile.writeAtomically($0, to: manifestPath) }
        syncDirectory()
        previousManifest = manifest
        manifest = next
        removeUnreferenced()
        return bytes.count
    }

    /// Removes checkpoint files no manifest names (and the JSON checkpoint a binary one replaced).
    private func removeUnreferenced() {
        let keep = Set((manifest?.entries ?? []).map(\.fileName) + (previousManifest?.entries ?? []).map(\.fileName))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        where (name.hasPrefix("base-") || name.hasPrefix("delta-")) && name.hasSuffix(".vcp") && !keep.contains(name) {
            unlink(path + "/" + name)
        }
        if manifest != nil { unlink(legacyCheckpointPath) }
    }
}
