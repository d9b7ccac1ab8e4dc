import VigilCore

/// Parameters of the isolation core. The same defaults serve log features and numeric tables.
public struct IsolationConfig: Codable, Sendable, Equatable {
    /// Trees in the forest. More trees: steadier scores, linear cost. 50, as random cut forests use.
    public var trees: Int = 50
    /// Points each tree is built from (ψ). Tree height limit is ⌈log2 ψ⌉ + `extraDepth`.
    public var sampleSize: Int = 256
    /// Recent points kept to sample from (the model's memory of "normal").
    public var window: Int = 2048
    /// One tree is rebuilt every this many learned points (0: window / trees).
    public var rebuildEvery: Int = 0
    /// Extra levels beyond the classic ⌈log2 ψ⌉ height limit.
    public var extraDepth: Int = 0
    /// Seed of the only random source; same seed and stream, same scores.
    public var seed: UInt64 = 1
    /// Share of cuts drawn in rank space: uniformly among the gaps between a node's distinct values,
    /// instead of uniformly over its value range. Why: a value-range cut isolates what lies far away
    /// but spends most cuts in the empty tail of a skewed feature (one huge request count, a 30 %
    /// block of identical rows); a rank cut is blind to distance but cuts where the values are, so a
    /// point that is unusual only together with its neighbours still gets separated. A third of each
    /// keeps both (0: classic isolation forest cuts).
    public var rankCuts: Double = 1.0 / 3.0
    /// How strongly a tree prefers heavy-tailed features: feature f is cut with weight
    /// 1 + k · ln(1 + kurtosis_f) over the tree's sample (0: uniform, the classic choice). Why:
    /// a feature in which a few points sit far from the rest has high kurtosis (Peña & Prieto's
    /// projection-pursuit result), and cuts spent on it isolate those points sooner; features that
    /// are flat noise get fewer cuts instead of diluting every path. Two-valued features (the log
    /// model's novelty flags) have no tail and keep their uniform share (``ForestStorage``).
    public var kurtosisWeight: Double = 1
    /// Provisional trees before the first `sampleSize` points: all trees are built on what has been
    /// learned at `warmup`, 2·`warmup`, 4·`warmup`… points, so the first rows of a table are scored
    /// instead of all scoring 0 (0: no provisional trees). The log pipeline does not act on them
    /// (it waits for ``IsolationForest/isReady``).
    public var warmup: Int = 8

    public init(seed: UInt64 = 1) { self.seed = seed }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case trees, sampleSize, window, rebuildEvery, extraDepth, seed, rankCuts, kurtosisWeight, warmup
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = IsolationConfig()
        trees = try c.decodeIfPresent(Int.self, forKey: .trees) ?? d.trees
        sampleSize = try c.decodeIfPresent(Int.self, forKey: .sampleSize) ?? d.sampleSize
        window = try c.decodeIfPresent(Int.self, forKey: .window) ?? d.window
        rebuildEvery = try c.decodeIfPresent(Int.self, forKey: .rebuildEvery) ?? d.rebuildEvery
        extraDepth = try c.decodeIfPresent(Int.self, forKey: .extraDepth) ?? d.extraDepth
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        rankCuts = try c.decodeIfPresent(Double.self, forKey: .rankCuts) ?? d.rankCuts
        kurtosisWeight = try c.decodeIfPresent(Double.self, forKey: .kurtosisWeight) ?? d.kurtosisWeight
        warmup = try c.decodeIfPresent(Int.self, forKey: .warmup) ?? d.warmup
        try UnknownKeys.reject(decoder, known: CodingKeys.self)
        try validate()
    }

    public func validate() throws {
        guard trees >= 1, trees <= 10_000 else { throw ConfigError.invalid("trees must be 1…10000") }
        guard sampleSize >= 4, sampleSize <= 65_536 else { throw ConfigError.invalid("sampleSize must be 4…65536") }
        guard window >= sampleSize else { throw ConfigError.invalid("window must be ≥ sampleSize") }
        guard rebuildEvery >= 0, extraDepth >= 0, extraDepth <= 32 else { throw ConfigError.invalid("rebuildEvery/extraDepth out of range") }
        guard rankCuts >= 0, rankCuts <= 1 else { throw ConfigError.invalid("rankCuts must be 0…1") }
        guard kurtosisWeight >= 0, kurtosisWeight <= 100 else { throw ConfigError.invalid("kurtosisWeight must be 0…100") }
        guard warmup == 0 || (warmup >= 2 && warmup < sampleSize) else { throw ConfigError.invalid("warmup must be 0 or 2…sampleSize−1") }
    }

    /// The effective rebuild period.
    public var period: Int { rebuildEvery > 0 ? rebuildEvery : max(1, window / trees) }
}

/// SplitMix64: tiny, fast, and the same on every platform (determinism for `--seed`).
public struct SplitMix64: Codable, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    @inline(__always) public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    @inline(__always) public mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Uniform in 0..<n.
    @inline(__always) public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
