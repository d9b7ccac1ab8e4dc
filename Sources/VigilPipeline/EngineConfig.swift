import Foundation
import VigilBaseline
import VigilCore
import VigilIdentity
import VigilDetection
import VigilScoring

/// Everything an engine needs besides the rules. Decodable from a model definition file.
public struct EngineConfig: Codable, Sendable {
    public var baseline = BaselineConfig()
    public var isolation = IsolationConfig()
    public var detector = DetectorConfig()
    /// Longest record accepted (bytes, decoded); longer ones are dead-lettered.
    public var maxRecordBytes = Limits.defaultMaxRecordBytes
    /// An event more than this far behind the newest one is counted `late` (still processed).
    public var lateness: Int64 = 15 * EventTime.minute
    /// An event ID seen again within this span of event time is a duplicate.
    public var dedupeWindow: Int64 = EventTime.hour
    /// Cap on remembered event IDs (overflow: the oldest are forgotten, counted).
    public var dedupeCap = 1_000_000
    /// Events per drift window: features are compared, reference against live, every this many events.
    public var driftWindow = 8192
    /// Kolmogorov–Smirnov statistic at which a feature's distribution counts as drifted (info finding).
    public var driftThreshold = 0.3

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case baseline, isolation, detector, maxRecordBytes, lateness, dedupeWindow, dedupeCap, driftWindow, driftThreshold
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = EngineConfig()
        baseline = try c.decodeIfPresent(BaselineConfig.self, forKey: .baseline) ?? d.baseline
        isolation = try c.decodeIfPresent(IsolationConfig.self, forKey: .isolation) ?? d.isolation
        detector = try c.decodeIfPresent(DetectorConfig.self, forKey: .detector) ?? d.detector
        maxRecordBytes = try c.decodeIfPresent(Int.self, forKey: .maxRecordBytes) ?? d.maxRecordBytes
        lateness = try c.decodeIfPresent(Int64.self, forKey: .lateness) ?? d.lateness
        dedupeWindow = try c.decodeIfPresent(Int64.self, forKey: .dedupeWindow) ?? d.dedupeWindow
        dedupeCap = try c.decodeIfPresent(Int.self, forKey: .dedupeCap) ?? d.dedupeCap
        driftWindow = try c.decodeIfPresent(Int.self, forKey: .driftWindow) ?? d.driftWindow
        driftThreshold = try c.decodeIfPresent(Double.self, forKey: .driftThreshold) ?? d.driftThreshold
        try UnknownKeys.reject(decoder, known: CodingKeys.self)
        guard maxRecordBytes >= 1024, lateness >= 0, dedupeWindow >= 0, dedupeCap > 0, driftWindow >= 16,
              driftThreshold > 0, driftThreshold <= 1 else {
            throw ConfigError.invalid("engine limits out of range")
        }
    }
}

/// A trained model: configuration plus learned baselines and forest, as written by `vigil train`.
public struct ModelSnapshot: Codable, Sendable {
    public static let currentVersion = 1
    public var version = ModelSnapshot.currentVersion
    public var config: EngineConfig
    public var baseline: BaselineSnapshot
    public var forest: IsolationForest
    /// Drift windows (absent in snapshots written before drift existed).
    public var drift: DriftMonitor?
    public var eventsLearned: Int
    public var newestEvent: Int64
    /// Minted credentials and actors' role histories (absent in snapshots written before stitching).
    public var identity: IdentityStitcher?
}

/// Settings given on the command line (`--max-principals`, `--memory-limit`, `--reorder-window`),
/// which override the model's keys wherever the configuration comes from: defaults, a definition,
/// a snapshot or a checkpoint.
public struct ConfigOverrides: Sendable, Equatable {
    /// One cap over all per-principal state: live baselines (`baseline.maxPrincipals`, of which
    /// `anonymousShare` for anonymous principals), their compact forms (`baseline.maxDormant`) and
    /// the detector's open findings (`detector.maxTracked`).
    public var maxPrincipals: Int?
    /// Accounted bytes of per-principal state (`baseline.memoryLimit`).
    public var memoryLimit: Int?
    /// How far apart in event time the merge of several inputs looks ahead, and how far behind
    /// the newest event a record may be before it counts as `late` (`lateness`): one setting.
    public var reorderWindow: Int64?

    public init(maxPrincipals: Int? = nil, memoryLimit: Int? = nil, reorderWindow: Int64? = nil) {
        self.maxPrincipals = maxPrincipals
        self.memoryLimit = memoryLimit
        self.reorderWindow = reorderWindow
    }

    public func apply(to c: inout EngineConfig) {
        if let m = maxPrincipals {
            c.baseline.maxPrincipals = m
            c.baseline.maxDormant = m
            c.detector.maxTracked = m
        }
        if let l = memoryLimit { c.baseline.memoryLimit = l }
        if let w = reorderWindow { c.lateness = w }
    }

    public func apply(to s: inout ModelSnapshot) {
        apply(to: &s.config)
        if let m = maxPrincipals {
            s.baseline.config.maxPrincipals = m
            s.baseline.config.maxDormant = m
        }
        if let l = memoryLimit { s.baseline.config.memoryLimit = l }
    }

    /// Parses a size: bytes, or a number with K/M/G (powers of 1024; `KiB`, `MB` and the like
    /// accepted) — `512MiB`, `2G`.
    public static func parseSize(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = t.prefix { $0.isNumber || $0 == "." }
        guard let n = Double(digits), n > 0 else { return nil }
        let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k", "kb", "kib": scale = 1024
        case "m", "mb", "mib": scale = 1024 * 1024
        case "g", "gb", "gib": scale = 1024 * 1024 * 1024
        default: return nil
        }
        return Int(n * scale)
    }
}
