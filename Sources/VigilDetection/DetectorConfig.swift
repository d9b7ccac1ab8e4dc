import VigilCore

/// Knobs of the detector. Decodable from the model file; unknown keys are rejected.
public struct DetectorConfig: Codable, Sendable, Equatable {
    /// Isolation score at or above which an event is anomalous (for a mature principal).
    public var anomalyThreshold: Double = 0.72
    /// Learned events after which a principal is mature; before that the threshold is raised
    /// towards 1 (damped, never silenced: at zero history it sits halfway between threshold and 1).
    public var maturityEvents: Int = 30
    /// Further anomalous events of a principal within this span of the last one join its open
    /// anomaly finding instead of raising a new alert (ms).
    public var anomalyCooldown: Int64 = EventTime.hour
    /// Findings of one principal within this span of its incident's last finding join the incident (ms).
    public var incidentGap: Int64 = 2 * EventTime.hour
    /// Smallest attribution share for a feature to be named as a reason.
    public var reasonShare: Double = 0.08
    /// Evidence an anomaly needs besides its score: the sum of ``Explainer/weight(_:_:)`` over the
    /// event's features. 2 means two independent oddities (new network and new client), or one
    /// strong one (a burst far beyond the principal's past).
    public var minSignal: Double = 2
    /// Cap on principals with open burst/finding state (overflow: the stalest is dropped, counted).
    public var maxTracked: Int = 200_000
    /// A log source with a day and 50 events of history is silent when the watermark passes its last
    /// event by more than this many times its usual gap (and at least `silenceFloor` ms).
    public var silenceFactor: Double = 10
    /// The shortest silence reported (ms): below it, delivery jitter (CloudTrail objects arrive every
    /// ~5 min, up to 15 min late) would look like silence.
    public var silenceFloor: Int64 = 30 * EventTime.minute

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case anomalyThreshold, maturityEvents, anomalyCooldown, incidentGap, reasonShare, minSignal, maxTracked
        case silenceFactor, silenceFloor
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DetectorConfig()
        anomalyThreshold = try c.decodeIfPresent(Double.self, forKey: .anomalyThreshold) ?? d.anomalyThreshold
        maturityEvents = try c.decodeIfPresent(Int.self, forKey: .maturityEvents) ?? d.maturityEvents
        anomalyCooldown = try c.decodeIfPresent(Int64.self, forKey: .anomalyCooldown) ?? d.anomalyCooldown
        incidentGap = try c.decodeIfPresent(Int64.self, forKey: .incidentGap) ?? d.incidentGap
        reasonShare = try c.decodeIfPresent(Double.self, forKey: .reasonShare) ?? d.reasonShare
        minSignal = try c.decodeIfPresent(Double.self, forKey: .minSignal) ?? d.minSignal
        maxTracked = try c.decodeIfPresent(Int.self, forKey: .maxTracked) ?? d.maxTracked
        silenceFactor = try c.decodeIfPresent(Double.self, forKey: .silenceFactor) ?? d.silenceFactor
        silenceFloor = try c.decodeIfPresent(Int64.self, forKey: .silenceFloor) ?? d.silenceFloor
        try UnknownKeys.reject(decoder, known: CodingKeys.self)
        try validate()
    }

    public func validate() throws {
        guard anomalyThreshold > 0, anomalyThreshold < 1 else { throw ConfigError.invalid("anomalyThreshold must be in (0, 1)") }
        guard silenceFactor > 0, silenceFloor > 0 else { throw ConfigError.invalid("silenceFactor and silenceFloor must be positive") }
        guard maturityEvents >= 0, anomalyCooldown >= 0, incidentGap >= 0, maxTracked > 0 else {
            throw ConfigError.invalid("detector spans and caps must be non-negative")
        }
    }

    /// The threshold a principal with `learned` events must reach.
    public func threshold(learned: Int) -> Double {
        guard maturityEvents > 0, learned < maturityEvents else { return anomalyThreshold }
        let youth = 1 - Double(learned) / Double(maturityEvents)
        return anomalyThreshold + (1 - anomalyThreshold) * 0.5 * youth
    }
}
