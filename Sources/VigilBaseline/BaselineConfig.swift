import VigilCore

/// Knobs of the baseline. Decodable from model files; unknown keys are rejected.
public struct BaselineConfig: Codable, Sendable, Equatable {
    /// Length of the sliding short window (ms). Bursts, distinct counts and bytes are measured in it.
    public var windowLength: Int64 = 10 * EventTime.minute
    /// Half-life of the long decayed rate (ms): the "long window".
    public var longHalfLife: Int64 = EventTime.hour
    /// Weight of each new sample in the principal's usual values (EWMA).
    public var usualWeight: Double = 0.02
    /// Half-life of the hour-of-day histogram (ms).
    public var hourHalfLife: Int64 = 14 * EventTime.day
    /// How long a known action/network/agent/region is remembered without use (ms).
    public var noveltyMemory: Int64 = 30 * EventTime.day
    /// Cap per known-set (overflow: the least recently used member is forgotten, counted).
    public var knownSetCap: Int = 512
    /// Cap on events kept in one principal's short window (overflow: oldest dropped, counted).
    public var windowCap: Int = 4096
    /// Cap on principals tracked live (overflow: the least recently seen of the pool is evicted,
    /// counted). `--max-principals` overrides it.
    public var maxPrincipals: Int = 200_000
    /// Share of `maxPrincipals` reserved for anonymous and unknown principals, which compete only
    /// with each other (a scraper minting one per address cannot evict real identities).
    public var anonymousShare: Double = 0.1
    /// Cap on evicted identified principals kept in compact form (0: none are kept).
    public var maxDormant: Int = 200_000
    /// Cap on accounted bytes of per-principal state, live and compact (0: no cap beyond the counts).
    /// Deterministic accounting, not RSS. `--memory-limit` overrides it.
    public var memoryLimit: Int = 0
    /// How long an anomalous event's lesson is held before it may be learned (ms).
    public var holdPeriod: Int64 = 24 * EventTime.hour
    /// Cap on held lessons per principal (overflow: the oldest is discarded, counted).
    public var maxHeld: Int = 256

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case windowLength, longHalfLife, usualWeight, hourHalfLife, noveltyMemory, knownSetCap, windowCap
        case maxPrincipals, anonymousShare, maxDormant, memoryLimit, holdPeriod, maxHeld
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BaselineConfig()
        windowLength = try c.decodeIfPresent(Int64.self, forKey: .windowLength) ?? d.windowLength
        longHalfLife = try c.decodeIfPresent(Int64.self, forKey: .longHalfLife) ?? d.longHalfLife
        usualWeight = try c.decodeIfPresent(Double.self, forKey: .usualWeight) ?? d.usualWeight
        hourHalfLife = try c.decodeIfPresent(Int64.self, forKey: .hourHalfLife) ?? d.hourHalfLife
        noveltyMemory = try c.decodeIfPresent(Int64.self, forKey: .noveltyMemory) ?? d.noveltyMemory
        knownSetCap = try c.decodeIfPresent(Int.self, forKey: .knownSetCap) ?? d.knownSetCap
        windowCap = try c.decodeIfPresent(Int.self, forKey: .windowCap) ?? d.windowCap
        maxPrincipals = try c.decodeIfPresent(Int.self, forKey: .maxPrincipals) ?? d.maxPrincipals
        anonymousShare = try c.decodeIfPresent(Double.self, forKey: .anonymousShare) ?? d.anonymousShare
        maxDormant = try c.decodeIfPresent(Int.self, forKey: .maxDormant) ?? d.maxDormant
        memoryLimit = try c.decodeIfPresent(Int.self, forKey: .memoryLimit) ?? d.memoryLimit
        holdPeriod = try c.decodeIfPresent(Int64.self, forKey: .holdPeriod) ?? d.holdPeriod
        maxHeld = try c.decodeIfPresent(Int.self, forKey: .maxHeld) ?? d.maxHeld
        try UnknownKeys.reject(decoder, known: CodingKeys.self)
        try validate()
    }

    /// Rejects values that would make the baseline meaningless.
    public func validate() throws {
        guard windowLength > 0, longHalfLife > 0, hourHalfLife > 0, noveltyMemory > 0, holdPeriod >= 0 else {
            throw ConfigError.invalid("baseline durations must be positive")
        }
        guard usualWeight > 0 && usualWeight <= 1 else { throw ConfigError.invalid("usualWeight must be in (0, 1]") }
        guard knownSetCap > 0, windowCap > 0, maxPrincipals > 0, maxHeld >= 0, maxDormant >= 0, memoryLimit >= 0 else {
            throw ConfigError.invalid("baseline caps must be positive")
        }
        guard anonymousShare > 0 && anonymousShare < 1 else { throw ConfigError.invalid("anonymousShare must be in (0, 1)") }
    }
}
