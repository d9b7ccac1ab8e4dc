import DequeModule
import VigilCore

/// What one event teaches the baseline, kept apart so anomalous events can be held back.
public struct Lesson: Codable, Sendable, Equatable {
    public var principal: String
    /// `fnv1a(principal)`, to find its slot again without hashing the name (not encoded: derived).
    var principalKey: UInt64
    public var time: Int64
    var action: UInt64
    var network: UInt64
    var agent: UInt64
    var region: UInt64
    var hour: Int
    /// Window samples at this event: count, distinct actions, distinct resources, bytes, error share.
    var samples: WindowSamples
    var longRate: Double
    /// The originating actor behind a role session (identity stitching), when it is not the
    /// principal itself: the actor learns the session's network, client and region too.
    var actor: String? = nil

    init(principal: String, principalKey: UInt64, time: Int64, action: UInt64, network: UInt64, agent: UInt64,
         region: UInt64, hour: Int, samples: WindowSamples, longRate: Double) {
        self.principal = principal
        self.principalKey = principalKey
        self.time = time
        self.action = action
        self.network = network
        self.agent = agent
        self.region = region
        self.hour = hour
        self.samples = samples
        self.longRate = longRate
    }

    enum CodingKeys: String, CodingKey { case principal, time, action, network, agent, region, hour, samples, longRate, actor }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        principal = try c.decode(String.self, forKey: .principal)
        principalKey = StableHash.fnv1a(principal)
        time = try c.decode(Int64.self, forKey: .time)
        action = try c.decode(UInt64.self, forKey: .action)
        network = try c.decode(UInt64.self, forKey: .network)
        agent = try c.decode(UInt64.self, forKey: .agent)
        region = try c.decode(UInt64.self, forKey: .region)
        hour = try c.decode(Int.self, forKey: .hour)
        samples = try c.decode(WindowSamples.self, forKey: .samples)
        longRate = try c.decode(Double.self, forKey: .longRate)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
    }
}

/// The five window samples of one event, inline.
///
/// Why not `[Double]`: every event makes one (its ``Lesson``), and a lesson held back as anomalous
/// lives for the hold period; an array is a heap allocation each time and about 80 bytes more per
/// held lesson. Encoded as the array it replaces, so snapshots read the same.
struct WindowSamples: Codable, Sendable, Equatable {
    var values: (Double, Double, Double, Double, Double)

    static let count = 5

    init(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double) { values = (a, b, c, d, e) }

    /// From the first five of `array` (a principal's usual values).
    init(_ array: [Double]) {
        func at(_ i: Int) -> Double { i < array.count ? array[i] : 0 }
        values = (at(0), at(1), at(2), at(3), at(4))
    }

    subscript(_ i: Int) -> Double {
        get {
            switch i {
            case 0: return values.0
            case 1: return values.1
            case 2: return values.2
            case 3: return values.3
            default: return values.4
            }
        }
        set {
            switch i {
            case 0: values.0 = newValue
            case 1: values.1 = newValue
            case 2: values.2 = newValue
            case 3: values.3 = newValue
            default: values.4 = newValue
            }
        }
    }

    var array: [Double] { [values.0, values.1, values.2, values.3, values.4] }

    /// Bit for bit (a restored checkpoint must hold exactly what was written).
    static func == (a: WindowSamples, b: WindowSamples) -> Bool { a.array.map(\.bitPattern) == b.array.map(\.bitPattern) }

    init(from decoder: Decoder) throws {
        let a = try [Double](from: decoder)
        guard a.count == Self.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected \(Self.count) window samples, found \(a.count)"))
        }
        self.init(a)
    }

    func encode(to encoder: Encoder) throws { try array.encode(to: encoder) }
}

/// Everything Vigil remembers about one principal: a record of fixed size (about 450 bytes) with
/// its small parts inline, and a spill for the few principals that outgrow them.
///
/// Why this shape: at a million principals the old struct of dictionaries, deques and arrays cost
/// 1.6 KB each, mostly allocation headers and empty hash buckets. Here a principal seen a few
/// times from one network owns no allocation at all: two window entries, two members of each
/// known-set, four hours and its newest event ID are inline (``ShortWindow``, ``DecayingSet``,
/// ``HourHistogram``, ``RecentEventIDs``); each part spills on its own when it outgrows that.
/// Memory is bounded: the window holds at most `windowCap` entries, each known-set at most
/// `knownSetCap` keys, the hold queue at most `maxHeld` lessons.
struct PrincipalState: Sendable, Equatable {
    /// Learns the network, client and region of a lesson (its principal's or, through a role
    /// session, its originating actor's).
    mutating func know(_ l: Lesson, cap: Int) {
        networks.insert(l.network, at: l.time, cap: cap)
        agents.insert(l.agent, at: l.time, cap: cap)
        regions.insert(l.region, at: l.time, cap: cap)
    }

    var firstSeen: Int64
    var lastSeen: Int64
    var events: Int = 0
    var learned: Int = 0
    // Short window, and the IDs of its newest events.
    var window = ShortWindow()
    var ids = RecentEventIDs()
    /// Whether `usual` and `usualLong` hold values yet (here, in the IDs' padding: 8 bytes less).
    var hasUsual = false
    // Long window: decayed count with `longHalfLife`, and when it was last decayed.
    var longCount: Double = 0
    var longAt: Int64 = 0
    // Usual values (EWMA) of the window samples and the long rate, once initialised.
    var usual = WindowSamples(0, 0, 0, 0, 0)
    var usualLong: Double = 0
    // Novelty memories.
    var actions = DecayingSet()
    var networks = DecayingSet()
    var agents = DecayingSet()
    var regions = DecayingSet()
    // Hour-of-day histogram, decayed lazily at `hoursAt`.
    var hours = HourHistogram()
    var hoursAt: Int64 = 0
    // Poisoning resistance.
    var held: Deque<HeldLesson> = []
    var blockedUntil: Int64 = Int64.min

    /// What this state is accounted as holding, from its counts alone (so the figure, and what
    /// `memoryLimit` evicts, is the same on every machine): the record with its name and index
    /// entry, plus what each spilled part and the held lessons take, per element.
    var accountedBytes: Int {
        Self.fixedBytes &+ window.accountedBytes &+ ids.accountedBytes &+ hours.accountedBytes
            &+ actions.accountedBytes &+ networks.accountedBytes &+ agents.accountedBytes &+ regions.accountedBytes
            &+ (held.isEmpty ? 0 : 32 &+ held.count &* 192)
    }

    /// The record, its name and index entry, its slot's bookkeeping.
    static let fixedBytes = MemoryLayout<PrincipalState>.stride + 96

    /// A placeholder swapped into the array while a state is being worked on.
    static let vacant = PrincipalState(at: 0)

    init(at t: Int64) {
        firstSeen = t
        lastSeen = t
        longAt = t
        hoursAt = t
    }

    /// Removes window entries older than `t - length`, and the oldest beyond `cap`. O(evicted).
    mutating func expire(before cutoff: Int64, cap: Int) -> Int {
        var overflow = 0
        while let first = window.oldest, first.time < cutoff || window.count > cap {
            if first.time >= cutoff { overflow += 1 }
            window.removeOldest()
        }
        ids.trim(to: window.count)
        return overflow
    }

    mutating func push(_ e: WindowEntry, id: CompactEventID) {
        window.append(e)
        ids.append(id)
    }
}

/// A lesson waiting for its hold period to pass.
struct HeldLesson: Codable, Sendable, Equatable {
    var releaseAt: Int64
    var lesson: Lesson
}
