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
    /// Cap on principals tracked (overflow: the least recently seen is evicted, counted).
    public var maxPrincipals: Int = 200_000
    /// How long an anomalous event's lesson is held before it may be learned (ms).
    public var holdPeriod: Int64 = 24 * EventTime.hour
    /// Cap on held lessons per principal (overflow: the oldest is discarded, counted).
    public var maxHeld: Int = 256

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case windowLength, longHalfLife, usualWeight, hourHalfLife, noveltyMemory, knownSetCap, windowCap
        case maxPrincipals, holdPeriod, maxHeld
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
        guard knownSetCap > 0, windowCap > 0, maxPrincipals > 0, maxHeld >= 0 else {
            throw ConfigError.invalid("baseline caps must be positive")
        }
    }
}
