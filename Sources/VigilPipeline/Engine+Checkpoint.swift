import VigilBaseline
import VigilCore
import VigilDetection
import VigilIdentity
import VigilScoring
import VigilSources
import VigilState

/// The sections of a binary checkpoint file (`CheckpointFile`), by id.
///
/// Per-principal records (live and compact) and the dedupe memory are incremental: a delta holds
/// only what changed since the file before it. The other sections are bounded by their caps, not
/// by the number of principals, and every file holds them whole.
enum CheckpointSection: UInt32, CaseIterable {
    case meta = 1, forest, drift, identity, detector, dedupe, principals, dormant

    var name: String { "\(self)" }

    static func name(_ id: UInt32) -> String { CheckpointSection(rawValue: id)?.name ?? "#\(id)" }

    /// Sections whose size grows with what changed (the measure of when deltas outgrow the base).
    var isIncremental: Bool { self == .dedupe || self == .principals || self == .dormant }
}

/// The small parts of a checkpoint, in one section: settings, counters, positions and marks.
struct CheckpointMeta: Codable {
    var version = EngineCheckpoint.currentVersion
    var config: EngineConfig
    var baselineConfig: BaselineConfig
    var baselineCounters: BaselineCounters
    var eventsLearned: Int
    var newestEvent: Int64
    var mergeFrontier: Int64?
    var inputs: [InputCheckpoint]
    var outputs: [OutputMark]
}

/// A checkpoint staged on the detecting thread: bytes only, sharing nothing with the live state,
/// so the engine goes on mutating without copying anything on write.
public struct StagedCheckpoint: Sendable {
    public var full: Bool
    public var sections: [(id: UInt32, bytes: [UInt8])]
    /// Raw bytes of the incremental sections (principals, compact forms, dedupe).
    public var incrementalBytes: Int
    /// Principal records written (live and compact).
    public var records: Int
}

extension Engine {
    /// Stages a checkpoint: everything (`full`), or what changed since the last staging; either
    /// way the change marks are cleared. The first staging must be full (marks start then).
    /// - Complexity: O(changed principals + dedupe entries added + forest and detector size).
    public func stageCheckpoint(inputs: [InputCheckpoint], outputs: [OutputMark], mergeFrontier: Int64?, full: Bool) throws -> StagedCheckpoint {
        let b = baseline.stageSections(full: full)
        let meta = CheckpointMeta(config: config, baselineConfig: baseline.config, baselineCounters: baseline.counters,
                                  eventsLearned: eventsLearned, newestEvent: newest, mergeFrontier: mergeFrontier,
                                  inputs: inputs, outputs: outputs)
        let dedupe = deduper.stageSection(full: full)
        let sections: [(id: UInt32, bytes: [UInt8])] = [
            (CheckpointSection.meta.rawValue, try BinaryCoder.encode(meta)),
            (CheckpointSection.forest.rawValue, try BinaryCoder.encode(forest)),
            (CheckpointSection.drift.rawValue, try BinaryCoder.encode(drift)),
            (CheckpointSection.identity.rawValue, try BinaryCoder.encode(stitcher)),
            (CheckpointSection.detector.rawValue, try BinaryCoder.encode(detector.snapshot())),
            (CheckpointSection.dedupe.rawValue, dedupe),
            (CheckpointSection.principals.rawValue, b.live),
            (CheckpointSection.dormant.rawValue, b.dormant),
        ]
        return StagedCheckpoint(full: full, sections: sections, incrementalBytes: dedupe.count + b.live.count + b.dormant.count,
                                records: b.records)
    }

    /// Counts a staged checkpoint in `--stats`.
    public func noteCheckpoint(_ s: StagedCheckpoint, seconds: Double) {
        if s.full { stats.checkpointBases += 1 } else { stats.checkpointDeltas += 1 }
        stats.checkpointRecords += s.records
        stats.checkpointStageSeconds += seconds
    }

    /// Bytes the checkpoint files took on disk once written, the checkpoint thread's seconds and
    /// the compactions it did.
    public func noteCheckpointWritten(bytes: Int, seconds: Double, compactions: Int) {
        stats.checkpointBytes = bytes
        stats.checkpointWriteSeconds = seconds
        stats.checkpointCompactions = compactions
    }
}

/// Folds a base and its deltas into one new base, on the checkpoint thread: the incremental
/// sections are merged (records copied as bytes), the others taken from the newest file. The
/// result means exactly what a full staging at the newest file's moment would have written.
enum CheckpointCompaction {
    /// The incremental sections of a chain, applied in order.
    static func incremental(_ files: [CheckpointFile]) throws -> (BaselineRecords, Deduper) {
        guard let first = files.first, first.kind == .base else { throw StateError.layout("checkpoint", "a chain starts with a base") }
        var records = BaselineRecords()
        var dedupe: Deduper?
        for f in files {
            try records.apply(live: try f.required(.principals), dormant: try f.required(.dormant))
            dedupe = try Deduper.applying(try f.required(.dedupe), to: dedupe)
        }
        return (records, dedupe!)
    }

    static func sections(of files: [CheckpointFile]) throws -> [(id: UInt32, bytes: [UInt8])] {
        let (records, chainDedupe) = try incremental(files)
        let merged = records.fullSections()
        var d = chainDedupe
        let full: [CheckpointSection: [UInt8]] = [.principals: merged.live, .dormant: merged.dormant, .dedupe: d.stageSection(full: true)]
        return try files[files.count - 1].sections.map { s in
            guard let id = CheckpointSection(rawValue: s.id) else { throw BinaryError.invalid("unknown section \(s.id)", at: 0) }
            return (s.id, full[id] ?? s.bytes)
        }
    }
}

extension CheckpointFile {
    func required(_ s: CheckpointSection) throws -> [UInt8] {
        guard let b = section(s.rawValue) else { throw BinaryError.invalid("checkpoint generation \(generation) has no \(s.name) section", at: 0) }
        return b
    }
}

extension EngineCheckpoint {
    /// The checkpoint a chain of files describes (a base, then its deltas in order).
    /// Throws when a section that passed its checksum still does not decode (a bug, or a file
    /// from a Vigil that writes another record version).
    public init(chain files: [CheckpointFile]) throws {
        let (records, dedupe) = try CheckpointCompaction.incremental(files)
        let last = files[files.count - 1]
        func decode<T: Decodable>(_ type: T.Type, _ s: CheckpointSection) throws -> T {
            guard let b = last.section(s.rawValue) else { throw BinaryError.invalid("no \(s.name) section", at: 0) }
            do {
                return try BinaryCoder.decode(type, from: b)
            } catch {
                throw BinaryError.invalid("section \(s.name) does not decode (\(error))", at: 0)
            }
        }
        let meta = try decode(CheckpointMeta.self, .meta)
        guard meta.version == EngineCheckpoint.currentVersion else {
            throw ConfigError.invalid("checkpoint version \(meta.version) is not one this Vigil reads (it reads version \(EngineCheckpoint.currentVersion)); move the state directory away to start over")
        }
        let model = ModelSnapshot(config: meta.config,
                                  baseline: try records.snapshot(config: meta.baselineConfig, counters: meta.baselineCounters),
                                  forest: try decode(IsolationForest.self, .forest), drift: try decode(DriftMonitor.self, .drift),
                                  eventsLearned: meta.eventsLearned, newestEvent: meta.newestEvent,
                                  identity: try decode(IdentityStitcher.self, .identity))
        var d = dedupe
        d.reindex()
        self.init(model: model, detector: try decode(DetectorSnapshot.self, .detector), deduper: d,
                  inputs: meta.inputs, outputs: meta.outputs, mergeFrontier: meta.mergeFrontier)
    }
}
