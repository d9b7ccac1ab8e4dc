import VigilCore
import VigilDetection
import VigilSources

/// How much of an output file (alerts, dead letters) a checkpoint covers: on restart the file is cut
/// back to `bytes` and what follows is written again (the Contract's exactly-once `--alerts FILE`).
public struct OutputMark: Codable, Sendable, Equatable {
    public var path: String
    public var bytes: Int64
    public var count: Int

    public init(path: String, bytes: Int64, count: Int) {
        self.path = path
        self.bytes = bytes
        self.count = count
    }
}

/// One consistent moment of a run: the learned model, the detector's open bursts and incidents,
/// the de-duplication memory, where each input was read up to, and how much of the alerts file
/// those correspond to. A run restored from it emits exactly what the interrupted run would have.
///
/// It holds no thread or chunking detail, so it does not depend on `--threads` or on how the
/// bytes arrived.
public struct EngineCheckpoint: Codable, Sendable {
    public static let currentVersion = 1
    public var version = EngineCheckpoint.currentVersion
    public var model: ModelSnapshot
    public var detector: DetectorSnapshot
    var deduper: Deduper
    public var inputs: [InputCheckpoint]
    /// Output files (`--alerts`, `--dead-letter`) and how much of each the checkpoint covers.
    public var outputs: [OutputMark]
    /// The newest event time the event-time merge of several inputs had handed on (absent: one
    /// input, or a checkpoint written before the merge existed).
    public var mergeFrontier: Int64?
}
